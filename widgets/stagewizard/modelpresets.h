// Model shapes the stage wizard offers (tiny, small, GPT-2 124M-shaped) and the arithmetic it
// shows beside them: exact parameter count and an estimate of training memory. Torch-free and
// Qt-free, so it is unit-testable on its own; it builds no model.
#pragma once

#include "core/model/model_config.h"
#include "core/train/lora_options.h"

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

// Rough bytes one training step needs, for a warning before the run, not a promise:
//   weights + gradients + AdamW's two moments, all fp32: 16 bytes per parameter;
//   activations kept for backward (Korthikanti et al. 2022, "Reducing Activation Recomputation",
//   per layer without recomputation): batch*ctx*dim*34 + 5*batch*heads*ctx^2 bytes; with
//   activation checkpointing only each layer's fp32 input (4*batch*ctx*dim) plus one layer's
//   full set while backward recomputes it;
//   logits and their gradient in fp32: 8*batch*ctx*vocab bytes.
// With `lora`, the frozen base's weights as held instead (fp32 4 bytes per parameter; the
// blocks' linear weights in nf4 0.52, int8 1 + a scale per row), no gradient or moments for
// them, and 16 bytes per adapter parameter; the activations are the same.
int64_t trainingMemoryBytes(const model::ModelConfig& config, int64_t batchSize,
                            bool activationCheckpointing = false,
                            const train::LoraOptions* lora = nullptr);

// The parameters of LoRA adapters `lora` puts on a model of `config`: rank x (in + out) per
// targeted layer (DoRA: + out).
int64_t loraParameterCount(const model::ModelConfig& config, const model::LoraConfig& lora);

} // namespace rlhf::widgets
