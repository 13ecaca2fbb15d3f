// Packing fp32 values into the ggml storage types of a GGUF file, bit for bit as llama.cpp's
// gguf-py (quants.py) and ggml's reference code do: f16 and bf16 round to nearest even; q8_0
// cuts a row into blocks of 32 values, each stored as an fp16 scale d = max|x| / 127 and 32
// int8 round(x / d) (halves away from zero). Torch-free; no allocation.
#pragma once

#include "core/model/gguf_file.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace rlhf::model {

uint16_t halfFromFloat(float value);     // IEEE fp16, round to nearest even
uint16_t bfloat16FromFloat(float value); // bf16, round to nearest even, NaN kept quiet

// Writes `values` as `type` into `out`, which holds exactly ggmlRowBytes(type, values.size())
// bytes (a q8_0 input is a whole number of 32-value blocks).
void packValues(GgmlType type, std::span<const float> values, std::span<std::byte> out);

} // namespace rlhf::model
