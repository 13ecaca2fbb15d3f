// Model shapes the stage wizard offers (tiny, small, GPT-2 124M-shaped) and the arithmetic it
// shows beside them: exact parameter count and an estimate of training memory. Torch-free and
// Qt-free, so it is unit-testable on its own; it builds no model.
#pragma once

#include "core/model/model_config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rlhf::widgets {

struct ModelPreset {
    std::string name;            // shown in the preset combo, e.g. "small"
    int64_t layers = 4;          // Transformer blocks
    int64_t heads = 4;           // query heads
    int64_t dim = 256;           // residual width
    int64_t contextLength = 256; // tokens per sequence
};

// tiny, small and gpt2-124M in that order; the wizard adds "custom" after them.
const std::vector<ModelPreset>& modelPresets();

// Exact number of trainable parameters of the model core/model/transformer.cpp builds, which
// matches Hugging Face's GPT2LMHeadModel / LlamaForCausalLM for the same shape:
//   embeddings: vocab*dim (+ ctx*dim learned positions for GPT-2)
//   per layer, GPT-2: 2 LayerNorms (4*dim), c_attn (dim*3dim + 3dim), c_proj (dim*dim + dim),
//                     c_fc (dim*ffn + ffn), mlp c_proj (ffn*dim + dim)
//   per layer, Llama: 2 RMSNorms (2*dim), q/o (2*dim*dim), k/v (2*dim*kvHeads*headDim),
//                     gate/up/down (3*dim*ffn), no biases
//   final norm: 2*dim (GPT-2) or dim (Llama); lm_head vocab*dim unless tied.
int64_t parameterCount(const model::ModelConfig& config);

// Rough bytes one training step needs, for a warning before the run, not a promise:
//   weights + gradients + AdamW's two moments, all fp32: 16 bytes per parameter;
//   activations kept for backward (Korthikanti et al. 2022, "Reducing Activation Recomputation",
//   per layer without recomputation): batch*ctx*dim*34 + 5*batch*heads*ctx^2 bytes; with
//   activation checkpointing only each layer's fp32 input (4*batch*ctx*dim) plus one layer's
//   full set while backward recomputes it;
//   logits and their gradient in fp32: 8*batch*ctx*vocab bytes.
int64_t trainingMemoryBytes(const model::ModelConfig& config, int64_t batchSize,
                            bool activationCheckpointing = false);

} // namespace rlhf::widgets
