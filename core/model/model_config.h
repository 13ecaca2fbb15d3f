// The shape of a decoder-only Transformer: one struct for every family the studio builds (its
// own GPT-2 and Llama shapes, and the Hugging Face families of model/families/). Torch-free.
// The mapping to and from Hugging Face's config.json is model/hf_config.h.
#pragma once

#include "core/util/word_table.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rlhf::model {

// The layer layout. Every family is one of the two; a family adds switches on top of it.
enum class Flavour {
    Gpt2,  // LayerNorm, learned positions, GELU MLP, biases, tied embeddings
    Llama, // RMSNorm, rotary positions, SwiGLU MLP, grouped-query attention, no biases
};

// How the rotary frequencies are stretched for longer contexts (HF "rope_type").
enum class RopeType {
    Default, // theta^(-2i/d)
    Linear,  // every frequency divided by `factor`
    Dynamic, // NTK-aware, only beyond the original context: inside it, the default frequencies
    Llama3,  // Llama 3.1+: low frequencies divided by `factor`, a smooth ramp between
    Yarn,    // YaRN: a ramp between interpolated and original frequencies, cos/sin scaled
};

struct RopeScaling {
    RopeType type = RopeType::Default;
    double factor = 1.0;
    double lowFreqFactor = 1.0;   // llama3
    double highFreqFactor = 4.0;  // llama3
    int64_t originalContext = 0;  // llama3, yarn: the pretraining context length
    double betaFast = 32.0;       // yarn
    double betaSlow = 1.0;        // yarn
    bool truncate = true;         // yarn: round the ramp's ends to whole dimensions
    double attentionFactor = 0.0; // yarn: cos/sin scale; 0 = 0.1 ln(factor) + 1
    double mscale = 0.0;          // yarn: attention factor from mscale / mscale_all_dim
    double mscaleAllDim = 0.0;
};

struct ModelConfig {
    Flavour flavour = Flavour::Gpt2;
    int64_t vocabSize = 4096;    // tokens in the tokenizer, e.g. 4096
    int64_t contextLength = 256; // longest sequence (positions), e.g. 1024 for GPT-2
    int64_t layers = 4;          // Transformer blocks, e.g. 12
    int64_t heads = 4;           // query heads, e.g. 12
    int64_t kvHeads = 0;         // key/value heads for grouped-query attention; 0 = heads
    int64_t dim = 256;           // residual width, e.g. 768
    int64_t ffnDim = 0;          // MLP hidden width; 0 = 4*dim (GPT-2) or ~8/3*dim (Llama)
    double normEps = 1e-5;       // epsilon of LayerNorm / RMSNorm
    double ropeTheta = 10000.0;  // rotary base frequency (Llama only)
    bool tieEmbeddings = true;   // lm_head shares the token embedding matrix
    double initStd = 0.02;       // std of the normal initialisation

    // What the Hugging Face families add to the Llama layout (all off for the studio's own):
    std::string family;        // HF model_type: "llama", "mistral", "qwen2", "qwen3"; "" = flavour
    int64_t headDimension = 0; // per-head width when not dim / heads (Qwen3: head_dim)
    bool qkvBias = false;      // q/k/v projections have biases (Qwen2, attention_bias)
    bool outputBias = false;   // o_proj has a bias (Llama / Qwen3 attention_bias)
    bool qkNorm = false;       // RMSNorm over each head's queries and keys (Qwen3)
    int64_t slidingWindow = 0; // a query sees only the last N keys, itself included; 0 = all
    std::vector<bool> slidingLayers; // which layers use the window; empty = every layer
    RopeScaling rope;
    // Token ids config.json records for generation (HF bos/eos/pad_token_id); -1 / empty: none.
    int64_t bosTokenId = -1;
    int64_t padTokenId = -1;
    std::vector<int64_t> eosTokenIds;
    std::string dtype = "float32"; // the weights' dtype on disk: float32, bfloat16 or float16

    int64_t headDim() const { return headDimension > 0 ? headDimension : dim / heads; }
    int64_t kvHeadCount() const { return kvHeads > 0 ? kvHeads : heads; }
    int64_t ffnHidden() const;
    bool slidingLayer(int64_t layer) const; // whether `layer` attends through the window
    std::string familyName() const;         // `family`, or "gpt2" / "llama" from the flavour

    // Throws rlhf::Error naming the field when the shape is inconsistent.
    void validate() const;
};

// The exact number of trainable parameters of the model transformer.cpp builds (and Hugging
// Face's for the same config.json), without building it:
//   embeddings: vocab*dim (+ ctx*dim learned positions for GPT-2); lm_head vocab*dim unless tied
//   per layer, GPT-2: 2 LayerNorms (4*dim), c_attn (dim*3dim + 3dim), c_proj (dim*dim + dim),
//                     c_fc (dim*ffn + ffn), mlp c_proj (ffn*dim + dim)
//   per layer, Llama layout: 2 RMSNorms (2*dim), q/o (2*dim*heads*headDim), k/v
//                     (2*dim*kvHeads*headDim), gate/up/down (3*dim*ffn), the family's biases
//                     and q/k norms (2*headDim)
//   final norm: 2*dim (GPT-2) or dim (Llama layout).
int64_t parameterCount(const ModelConfig& config);

// One linear layer of the blocks, as LoRA sees it: its name (the Transformer's, e.g.
// "model.layers.0.self_attn.q_proj") and features in and out.
struct LinearShape {
    std::string name;
    int64_t in = 0, out = 0;
};
// Every linear layer of the blocks, layer by layer, in the Transformer's order.
std::vector<LinearShape> linearShapes(const ModelConfig& config);

inline constexpr WordTable<Flavour, 2> flavourWords{{
    {Flavour::Gpt2, "gpt2"},
    {Flavour::Llama, "llama"},
}};

inline constexpr WordTable<RopeType, 5> ropeTypeWords{{
    {RopeType::Default, "default"},
    {RopeType::Linear, "linear"},
    {RopeType::Dynamic, "dynamic"},
    {RopeType::Llama3, "llama3"},
    {RopeType::Yarn, "yarn"},
}};

std::string flavourName(Flavour flavour); // "gpt2" / "llama"
Flavour flavourFromName(const std::string& name);

} // namespace rlhf::model
