// Whether a model's weights fit before any is allocated: a Transformer is built from its config
// on the CPU in fp32, 4 bytes a parameter, so a config of 10^12 parameters is refused with the
// bytes it needs against the machine's memory, not met with an allocator backtrace (or the
// kernel's OOM killer once the pages are touched). Torch-free.
#pragma once

#include "core/model/model_config.h"

#include <cstdint>

namespace rlhf::model {

inline constexpr int64_t fp32Bytes = 4; // bytes of one fp32 parameter

// The parameters of `config`, as a double so that no shape overflows it: exact below 2^53 (any
// real model), never below parameterCount() beyond that.
double parameterEstimate(const ModelConfig& config);

// Throws rlhf::Error "model: 1000000000000 parameters need 4000000000000 bytes (3725.3 GiB) of
// fp32 weights; this machine has 134217728000 bytes (125.0 GiB) of memory" when the fp32
// weights of `config` exceed `availableBytes` (hostMemoryBytes() where a model is built).
void checkWeightsFit(const ModelConfig& config, int64_t availableBytes);

} // namespace rlhf::model
