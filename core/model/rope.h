// The rotary position embedding's frequencies for a ModelConfig, computed in fp32 as
// transformers' rope initialisers compute them (modeling_rope_utils.py), so that the angles and
// hence the logits match a Hugging Face model's to the last bits: default, linear, dynamic (inside
// the context: default), llama3 and yarn.
#pragma once

#include "core/model/model_config.h"

#include <ATen/core/Tensor.h>

namespace rlhf::model {

struct RopeFrequencies {
    at::Tensor inverse; // (headDim / 2) fp32: the angle of position p in pair i is p * inverse[i]
    double scale = 1.0; // cos and sin are multiplied by it (yarn's attention factor)
};

RopeFrequencies ropeFrequencies(const ModelConfig& config);

} // namespace rlhf::model
