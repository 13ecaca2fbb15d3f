// The shape of a decoder-only Transformer, one struct for both flavours, and its mapping to
// the Hugging Face config.json of GPT2LMHeadModel / LlamaForCausalLM. Torch-free.
#pragma once

#include "core/util/word_table.h"

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace rlhf::model {

enum class Flavour {
    Gpt2,  // LayerNorm, learned positions, GELU MLP, biases, tied embeddings
    Llama, // RMSNorm, rotary positions, SwiGLU MLP, grouped-query attention, no biases
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

    int64_t headDim() const { return dim / heads; }
    int64_t kvHeadCount() const { return kvHeads > 0 ? kvHeads : heads; }
    int64_t ffnHidden() const;

    // Throws rlhf::Error naming the field when the shape is inconsistent.
    void validate() const;
};

// Hugging Face config.json (model_type "gpt2" or "llama", HF field names) <-> ModelConfig.
nlohmann::json toHfConfig(const ModelConfig& config);
ModelConfig fromHfConfig(const nlohmann::json& json); // throws rlhf::Error naming the field

inline constexpr WordTable<Flavour, 2> flavourWords{{
    {Flavour::Gpt2, "gpt2"},
    {Flavour::Llama, "llama"},
}};

std::string flavourName(Flavour flavour); // "gpt2" / "llama"
Flavour flavourFromName(const std::string& name);

} // namespace rlhf::model
