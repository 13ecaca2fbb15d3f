// The CPU loops that dequantise a QuantizedWeight on the CPU (quantized_weight_cpu.cpp), for
// quantized_weight.cpp; the CUDA kernels are in quantized_weight_cuda.h. bf16 is written as its
// 16 bits, rounded to nearest even from the fp32 value bitsandbytes computes.
#pragma once

#include "core/model/quantized_weight.h"

#include <cstdint>

namespace rlhf::model::cpu {

// `out` holds weight.numel() values, row-major in weight.shape; the weight's tensors are on the
// CPU.
void dequantizeNf4(const QuantizedWeight& weight, float* out);
void dequantizeNf4(const QuantizedWeight& weight, uint16_t* bf16Out);
void dequantizeInt8(const QuantizedWeight& weight, float* out);
void dequantizeInt8(const QuantizedWeight& weight, uint16_t* bf16Out);

// The fp32 absmax of every NF4 block (weight.absmax.numel() of them), decoded with doubleQuant.
void decodeAbsmax(const QuantizedWeight& weight, float* out);

} // namespace rlhf::model::cpu
