// The CUDA dequantisation kernels of quantized_weight.cpp, declared in plain C++ (no torch, no
// CUDA headers) so that quantized_weight_cuda.cu compiles with nvcc alone. Compiled only with
// RLHF_CUDA. Every pointer is device memory of the current device; the kernels are queued on
// `stream` and return at once (a launch error is thrown as std::runtime_error).
#pragma once

#include <cstdint>

struct CUstream_st; // cudaStream_t is a CUstream_st*

namespace rlhf::model::cuda {

enum class OutputType { Float32, BFloat16 }; // bf16 written as its 16 bits, rounded to nearest even

// The NF4 layout of QuantizedWeight. With `absmaxCodes` (double quantisation) a block's absmax
// is dynamicMap[absmaxCodes[b]] * nestedAbsmax[b / 256] + offset, else absmax[b].
struct Nf4View {
    const uint8_t* packed = nullptr;      // ceil(numel / 2) bytes, first element in the high nibble
    const float* absmax = nullptr;        // one per block, or nullptr with absmaxCodes
    const uint8_t* absmaxCodes = nullptr; // one per block, double quantisation only
    const float* nestedAbsmax = nullptr;  // one per 256 codes, double quantisation only
    const float* dynamicMap = nullptr;    // 256 host floats (copied into the launch)
    float offset = 0;
    int64_t numel = 0;
    int64_t blockSize = 64; // even
};

void dequantizeNf4(const Nf4View& weight, void* out, OutputType type, CUstream_st* stream);

// out[r][c] = (data[r][c] * rowScale[r]) * (1 / 127), row-major (rows, columns).
void dequantizeInt8(const int8_t* data, const float* rowScale, int64_t rows, int64_t columns,
                    void* out, OutputType type, CUstream_st* stream);

} // namespace rlhf::model::cuda
