// The decoder-only Transformer in its two layouts (GPT-2 and Llama) from one ModelConfig, with
// what the Llama-layout families add (Mistral's sliding window, Qwen2's q/k/v biases, Qwen3's
// q/k norms and head_dim, scaled rotary positions). Parameter names are Hugging Face's
// (GPT2LMHeadModel, LlamaForCausalLM, ...), so a state dict maps 1:1 onto HF safetensors. Training,
// KV-cached decoding and hidden states for value/reward heads.
#pragma once

#include "core/model/kv_cache.h"
#include "core/model/lora.h"
#include "core/model/model_config.h"
#include "core/model/quantized_weight.h"
#include "core/model/tensor_io.h"

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <ATen/core/Generator.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rlhf::model {

class TransformerImpl : public torch::nn::Module {
public:
    explicit TransformerImpl(const ModelConfig& config);

    // Full causal forward: tokens (B, T) int64 -> logits (B, T, vocab).
    at::Tensor forward(const at::Tensor& tokens);

    // Incremental forward: appends the new tokens' keys/values to `cache` and returns their
    // logits (B, T, vocab). positions: (B, T) int64; keyValid: (B, cache.length() + T) bool.
    at::Tensor forward(const at::Tensor& tokens, KvCache& cache, const at::Tensor& positions,
                       const at::Tensor& keyValid);

    // Final hidden states after the last norm (B, T, dim); cache may be null.
    at::Tensor hiddenStates(const at::Tensor& tokens, KvCache* cache, const at::Tensor& positions,
                            const at::Tensor& keyValid);
    // Projects hidden states (B, T, dim) to logits (B, T, vocab).
    at::Tensor logits(const at::Tensor& hidden);
    // What logits() multiplies by: (vocab, dim), the token embedding when tied. For losses
    // that never form the logits (model/language_model_loss.h).
    const at::Tensor& outputWeight() const { return m_lmHead; }

    // Re-initialises every parameter from `seed`: normal(0, initStd), residual projections
    // scaled by 1/sqrt(2 * layers) (GPT-2's recipe), biases 0, norm weights 1.
    void initWeights(uint64_t seed);

    // Activation checkpointing: a forward with gradients keeps only each layer's input and
    // recomputes the layer in backward (model/block_checkpoint.h). Off by default.
    void setActivationCheckpointing(bool on) { m_activationCheckpointing = on; }

    // Which attention kernel runs. Auto: the fused one (LibTorch 2.x's scaled_dot_product_
    // attention) on a GPU and wherever the scores would be large; the written-out one (scores,
    // softmax, weighted sum) for short contexts on the CPU, where it is 1.6x faster (README,
    // Speed). LibTorch 1.13 has only the written-out one.
    enum class AttentionKernel { Auto, Fused, WrittenOut };
    void setAttentionKernel(AttentionKernel kernel) { m_attentionKernel = kernel; }

    // --- LoRA adapters (model/lora.h), kept beside the parameters: named_parameters() and the
    // checkpoint stay the base model's. Each added adapter has an index; the active one, if
    // any, runs in every forward, so one base serves several adapters and the base alone.
    // Adapter tensors are named as PEFT saves them, less its "base_model.model." prefix:
    // "model.layers.0.self_attn.q_proj.lora_A.weight", ".lora_B.weight",
    // ".lora_magnitude_vector" (DoRA). They are made on the model's device, in fp32.
    // A fresh adapter on the layers `config` targets, drawn from `seed` (B = 0: the model
    // computes what the base does until it trains). Throws when it targets no layer.
    int addAdapter(const LoraConfig& config, uint64_t seed);
    // An adapter of these tensors: it sits on exactly the layers they name; a tensor that fits
    // no layer, or of the wrong shape, is an error naming it.
    int addAdapter(const LoraConfig& config, const NamedTensors& tensors);
    int adapterCount() const { return int(m_adapters.size()); }
    const LoraConfig& adapterConfig(int adapter) const;
    // The adapter's tensors (not copies: what an optimizer trains), in layer order.
    NamedTensors adapterTensors(int adapter) const;
    // -1: the base alone (DPO's and PPO's reference without a second model in memory).
    void setActiveAdapter(int adapter);
    int activeAdapter() const { return m_activeAdapter; }
    // Frees the adapter's tensors; its index is not used again (the others keep theirs).
    void removeAdapter(int adapter);
    // Folds the adapter into the base weights, which then compute base + adapter without it;
    // the adapter is removed from the layers (and no longer active). Not on a quantised base.
    void mergeAdapter(int adapter);
    // QLoRA's frozen base: every linear layer's weight quantised (model/quantized_weight.h) and
    // put on `device`, its dense weight freed; forward and backward dequantise it on the fly.
    // Embeddings, norms and the output head stay as they are. For good: there is no way back.
    void quantizeLinears(QuantType type, c10::Device device);
    bool quantized() const;
    // Bytes of the weights as held: the parameters, quantised layers' codes and scales, adapters.
    int64_t weightBytes() const;
    // The linear layers' names, e.g. "model.layers.0.mlp.down_proj".
    std::vector<std::string> linearNames() const;

    const ModelConfig& config() const { return m_config; }
    c10::Device device() const { return m_tokenEmbedding.device(); } // where the weights are
    int64_t parameterCount() const;

private:
    struct Linear {
        std::string name;  // "model.layers.0.self_attn.q_proj"
        at::Tensor weight; // GPT-2 (Conv1D): (in, out); Llama (nn.Linear): (out, in)
        at::Tensor bias;   // (out) or undefined
        std::vector<LoraWeights> adapters; // by adapter index; .a undefined: not on this layer
        std::shared_ptr<const QuantizedWeight> quantized; // set: `weight` is empty
    };
    struct Block {
        at::Tensor norm1Weight, norm1Bias, norm2Weight, norm2Bias; // biases: GPT-2 only
        Linear qkv;                    // GPT-2: c_attn, fused (dim, 3*dim)
        Linear query, key, value;      // Llama: q_proj, k_proj, v_proj
        at::Tensor queryNorm, keyNorm; // Qwen3: q_norm, k_norm over each head (headDim)
        Linear attnOut;                // c_proj / o_proj
        Linear up, gate, down;         // GPT-2: c_fc, -, c_proj; Llama: up, gate, down
    };

    Linear addLinear(torch::nn::Module& parent, const std::string& path, const std::string& name,
                     int64_t in, int64_t out, bool bias);
    // x @ W^T + b, plus the active adapter's part.
    at::Tensor project(const Linear& linear, const at::Tensor& x) const;
    at::Tensor projectBase(const Linear& linear, const at::Tensor& x) const;
    // W as (out, in), whatever the layout.
    at::Tensor denseWeight(const Linear& linear) const;
    std::vector<Linear*> linears();
    std::vector<const Linear*> linears() const;
    const LoraWeights* activeLora(const Linear& linear) const;
    int addAdapter(const LoraConfig& config, std::vector<LoraWeights> perLinear);
    at::Tensor norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) const;
    // keyValid: (B, Tcache + T), or undefined when nothing is padding.
    // Rotary embedding (Llama): cos and sin of each position's angles, (B, 1, T, headDim), fp32.
    struct Rope {
        at::Tensor cos, sin;
    };
    // The attention masks of one forward, built by the first layer that needs each and shared
    // by the rest: over the whole causal past, and over the sliding window.
    struct Masks {
        at::Tensor full, sliding;
    };
    at::Tensor attention(const Block& block, const at::Tensor& x, KvCache* cache, size_t layer,
                         const Rope& rope, const at::Tensor& keyValid, Masks& masks);
    // Whether attention over `scores` elements (B * heads * T * keys) on `device` runs fused.
    bool fusedAttention(int64_t scores, const c10::Device& device) const;
    // The written-out path's: 0 / -inf, (T, total) without padding, else (B * heads, T, total).
    // window > 0: a query sees only the last `window` keys, itself included.
    at::Tensor attentionMask(int64_t B, int64_t T, int64_t past, int64_t window,
                             const at::Tensor& keyValid, const at::TensorOptions& options) const;
    // Fused attention's: true where a query sees a key, (1 or B, 1, T, total).
    at::Tensor attentionKeep(int64_t B, int64_t T, int64_t past, int64_t window,
                             const at::Tensor& keyValid, const c10::Device& device) const;
    at::Tensor mlp(const Block& block, const at::Tensor& x) const;
    // One layer: x + attention(norm(x)), then + mlp(norm(...)).
    at::Tensor block(const Block& block, at::Tensor x, KvCache* cache, size_t layer,
                     const Rope& rope, const at::Tensor& keyValid, Masks& masks);
    // The block's tensors that may train: its parameters and the active adapter's.
    std::vector<at::Tensor> blockParameters(const Block& block) const;

    ModelConfig m_config;
    at::Tensor m_tokenEmbedding;    // (vocab, dim): wte / embed_tokens
    at::Tensor m_positionEmbedding; // (context, dim): wpe, GPT-2 only
    at::Tensor m_finalNormWeight, m_finalNormBias;
    at::Tensor m_lmHead;      // (vocab, dim); the token embedding when tied
    at::Tensor m_ropeInvFreq; // (headDim / 2) buffer, Llama only
    double m_ropeScale = 1.0; // cos and sin are scaled by it (yarn)
    std::vector<Block> m_blocks;
    bool m_activationCheckpointing = false;
    std::vector<std::optional<LoraConfig>> m_adapters; // empty: removed
    int m_activeAdapter = -1;
    // LoRA dropout's masks: seeded per layer and forward, so a layer recomputed by activation
    // checkpointing draws the same ones.
    mutable at::Generator m_dropoutGenerator;
    AttentionKernel m_attentionKernel = AttentionKernel::Auto;
};
TORCH_MODULE(Transformer);

} // namespace rlhf::model
