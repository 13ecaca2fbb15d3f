// QLoRA's frozen base weights: a weight matrix stored quantised and given back dequantised on
// the fly, on the CPU (a table look-up per nibble) or on a CUDA GPU (a kernel of our own). NF4
// and its double quantisation are bitsandbytes' quantize_4bit(quant_type="nf4"), int8 its
// Int8Params (LLM.int8()'s row-wise absmax), byte for byte. Not a trainable parameter and not a
// quantised matmul: quantizedLinear dequantises the whole matrix and runs a dense product.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <array>
#include <cstdint>
#include <vector>

namespace rlhf::model {

enum class QuantType {
    Nf4,  // 4-bit NormalFloat: blocks of `blockSize` elements of the flattened weight, absmax each
    Int8, // int8 per output row, scale = the row's absmax (bitsandbytes' SCB)
    Bf16  // the weight rounded to bf16 (half of fp32, no scales): a frozen base held in bf16
};

// One quantised weight. Immutable after quantize(): share it, do not edit it. Its tensors live
// together on one device and never require gradients.
struct QuantizedWeight {
    QuantType type = QuantType::Nf4;
    std::vector<int64_t> shape;        // the original weight's, e.g. {out, in} = {4096, 11008}
    at::ScalarType dtype = at::kFloat; // the original weight's (fp32, bf16 or fp16)
    int64_t blockSize = 64;   // NF4: elements per absmax, e.g. 64; Int8: the row length, shape[1]
    bool doubleQuant = false; // NF4: the absmax are themselves 8-bit codes (QLoRA's "double quant")
    // NF4: uint8, ceil(numel / 2) bytes; element 2i is the high nibble of byte i, element 2i+1
    // the low one (an odd numel pads the last low nibble with the code of 0, 7). Int8: int8,
    // `shape`. Bf16: bf16, `shape`.
    at::Tensor data;
    // NF4: fp32 per block or, with doubleQuant, uint8 codes of (absmax - offset) in
    // dynamicMap(), each block of 256 scaled by one nestedAbsmax. Int8: fp32 per row (SCB).
    // Bf16: empty.
    at::Tensor absmax;
    at::Tensor nestedAbsmax; // doubleQuant: fp32, one per 256 absmax codes (bnb's state2.absmax)
    float offset = 0;        // doubleQuant: the mean of the fp32 absmax, added back after decoding

    int64_t numel() const; // elements of the original weight
    int64_t bytes() const; // bytes of data + absmax + nestedAbsmax (not `offset`)
    QuantizedWeight to(c10::Device device) const; // a copy with every tensor on `device`
};

inline constexpr int64_t nestedBlockSize = 256; // absmax codes per nested absmax (bnb's choice)

// The 16 NF4 codes, ascending, as bitsandbytes publishes them (QLoRA's NormalFloat4).
const std::array<float, 16>& nf4Codes();
// bitsandbytes' create_dynamic_map(signed=True): 256 ascending fp32 values in [-0.993, 1], the
// code book of the double-quantised absmax (computed as bnb does on LibTorch 2.x).
const std::array<float, 256>& dynamicMap();

// Quantises `weight` (fp32, bf16 or fp16, on any device; the result lives on that device).
// NF4: any shape, blockSize one of 32, 64, ..., 4096. Int8: 2-D (out, in); blockSize and
// doubleQuant are ignored. Bf16: any shape, rounded to nearest (on the weight's device). Throws
// rlhf::Error on another dtype or block size, an empty or non-finite weight. Int8Params casts to
// fp16 before quantising: pass weight.to(kHalf) to get its bytes exactly.
QuantizedWeight quantize(const at::Tensor& weight, QuantType type, int64_t blockSize = 64,
                         bool doubleQuant = true);

// The weight back, dequantised to `dtype` (fp32 or bf16 written directly; fp16 via fp32), on the
// weight's device, in its shape: NF4 = code * absmax, int8 = (q * SCB) / 127 in fp32 first, as
// bitsandbytes computes them, then rounded to the nearest bf16.
at::Tensor dequantize(const QuantizedWeight& weight, at::ScalarType dtype);

// The same into `out`, a contiguous tensor of the weight's shape on its device, fp32 or bf16:
// a buffer reused across steps spares the page faults of a fresh one (larger than glibc's mmap
// threshold, 32 MiB here, every allocation is new memory).
void dequantizeInto(const QuantizedWeight& weight, at::Tensor& out);

// The fp32 absmax of every NF4 block (decoded from the codes with doubleQuant), on the CPU.
at::Tensor blockAbsmax(const QuantizedWeight& weight);

// bitsandbytes' 8-bit blockwise quantisation in dynamicMap() (its CPU kernel: a 65536-entry
// look-up of the scaled value), which double quantisation applies to absmax - offset in blocks
// of 256. values: fp32 1-D on the CPU. Returns {uint8 codes, fp32 absmax per block}.
std::pair<at::Tensor, at::Tensor> quantizeBlockwise8(const at::Tensor& values, int64_t blockSize);

// y = x W^T + bias with W = dequantize(weight) in the compute dtype (x's, or autocast's where it
// is on): x (..., in), W (out, in), bias (out) or undefined -> y (..., out). Gradients flow to
// x and bias, never to the weight; the backward pass dequantises W once more for dx instead of
// keeping it (nothing of W's size is saved).
at::Tensor quantizedLinear(const at::Tensor& x, const QuantizedWeight& weight,
                           const at::Tensor& bias);

} // namespace rlhf::model
