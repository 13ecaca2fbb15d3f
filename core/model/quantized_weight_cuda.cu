// The CUDA kernels that dequantise a QuantizedWeight (declared in quantized_weight_cuda.h): plain
// CUDA C on raw pointers, no torch. Each product is one correctly rounded fp32 multiply (no FMA
// contraction), so a GPU gives the very bits the CPU loop and bitsandbytes give.
#include "core/model/quantized_weight_cuda.h"

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace rlhf::model::cuda {
namespace {

__constant__ float nf4Table[16] = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

constexpr int threadsPerBlock = 256;
constexpr int64_t nestedBlock = 256;                // absmax codes per nested absmax
constexpr int elementsPerThread = 8;                // NF4: 4 packed bytes
constexpr float inverse127 = 7.874015718698502e-3f; // bnb's fp32 1/127

struct DynamicMap {
    float values[256];
};

__device__ inline uint16_t toBFloat16(float value)
{
    const uint32_t bits = __float_as_uint(value);
    if (value != value) return 0x7FC0; // NaN stays a quiet NaN
    return uint16_t((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

struct Nf4Args {
    const uint8_t* packed;
    const float* absmax;
    const uint8_t* absmaxCodes;
    const float* nestedAbsmax;
    float offset;
    int64_t numel;
    int64_t blockSize;
};

__device__ inline float blockScale(const Nf4Args& w, const DynamicMap& map, int64_t block)
{
    if (!w.absmaxCodes) return w.absmax[block];
    const float decoded =
        __fmul_rn(map.values[w.absmaxCodes[block]], w.nestedAbsmax[block / nestedBlock]);
    return __fadd_rn(decoded, w.offset);
}

// Thread t writes elements [8t, 8t + 8): 8 | blockSize, so they share one absmax.
template <bool Bf16> __global__ void nf4Kernel(Nf4Args w, DynamicMap map, void* out)
{
    const int64_t first = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) * elementsPerThread;
    if (first >= w.numel) return;
    const float scale = blockScale(w, map, first / w.blockSize);
    float values[elementsPerThread];
    if (first + elementsPerThread <= w.numel) {
        const uint32_t bytes = *reinterpret_cast<const uint32_t*>(w.packed + first / 2);
        for (int i = 0; i < 4; ++i) {
            const uint32_t byte = (bytes >> (8 * i)) & 0xFFu; // little-endian: byte i first
            values[2 * i] = __fmul_rn(nf4Table[byte >> 4], scale);
            values[2 * i + 1] = __fmul_rn(nf4Table[byte & 0xFu], scale);
        }
        if constexpr (Bf16) {
            uint32_t pairs[4];
            for (int i = 0; i < 4; ++i)
                pairs[i] = uint32_t(toBFloat16(values[2 * i])) |
                           (uint32_t(toBFloat16(values[2 * i + 1])) << 16);
            *reinterpret_cast<uint4*>(static_cast<uint16_t*>(out) + first) =
                make_uint4(pairs[0], pairs[1], pairs[2], pairs[3]);
        } else {
            float4* target = reinterpret_cast<float4*>(static_cast<float*>(out) + first);
            target[0] = make_float4(values[0], values[1], values[2], values[3]);
            target[1] = make_float4(values[4], values[5], values[6], values[7]);
        }
        return;
    }
    for (int64_t i = first; i < w.numel; ++i) { // the last, partial group
        const uint8_t byte = w.packed[i / 2];
        const float value = __fmul_rn(nf4Table[(i % 2) ? (byte & 0xF) : (byte >> 4)], scale);
        if constexpr (Bf16)
            static_cast<uint16_t*>(out)[i] = toBFloat16(value);
        else
            static_cast<float*>(out)[i] = value;
    }
}

// Thread t writes elements [4t, 4t + 4) of the row-major matrix.
template <bool Bf16>
__global__ void int8Kernel(const int8_t* data, const float* rowScale, int64_t rows, int64_t columns,
                           void* out)
{
    const int64_t total = rows * columns;
    const int64_t first = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) * 4;
    int64_t row = first / columns, column = first - row * columns;
    for (int64_t i = first; i < first + 4 && i < total; ++i, ++column) {
        if (column == columns) ++row, column = 0;
        const float value = __fmul_rn(__fmul_rn(float(data[i]), rowScale[row]), inverse127);
        if constexpr (Bf16)
            static_cast<uint16_t*>(out)[i] = toBFloat16(value);
        else
            static_cast<float*>(out)[i] = value;
    }
}

void checkLaunch(const char* kernel)
{
    const cudaError_t status = cudaGetLastError();
    if (status != cudaSuccess)
        throw std::runtime_error(std::string(kernel) + ": " + cudaGetErrorString(status));
}

unsigned gridFor(int64_t threads)
{
    return unsigned((threads + threadsPerBlock - 1) / threadsPerBlock);
}

} // namespace

void dequantizeNf4(const Nf4View& weight, void* out, OutputType type, CUstream_st* stream)
{
    if (weight.numel == 0) return;
    if (weight.blockSize % elementsPerThread != 0 ||
        (reinterpret_cast<uintptr_t>(weight.packed) % 4))
        throw std::runtime_error("dequantizeNf4: block size must be a multiple of 8 and the "
                                 "packed bytes 4-byte aligned");
    const Nf4Args args{weight.packed, weight.absmax, weight.absmaxCodes, weight.nestedAbsmax,
                       weight.offset, weight.numel,  weight.blockSize};
    DynamicMap map{};
    if (weight.absmaxCodes)
        for (int i = 0; i < 256; ++i)
            map.values[i] = weight.dynamicMap[i];
    const unsigned grid = gridFor((weight.numel + elementsPerThread - 1) / elementsPerThread);
    if (type == OutputType::BFloat16)
        nf4Kernel<true><<<grid, threadsPerBlock, 0, stream>>>(args, map, out);
    else
        nf4Kernel<false><<<grid, threadsPerBlock, 0, stream>>>(args, map, out);
    checkLaunch("dequantizeNf4");
}

void dequantizeInt8(const int8_t* data, const float* rowScale, int64_t rows, int64_t columns,
                    void* out, OutputType type, CUstream_st* stream)
{
    if (rows * columns == 0) return;
    const unsigned grid = gridFor((rows * columns + 3) / 4);
    if (type == OutputType::BFloat16)
        int8Kernel<true><<<grid, threadsPerBlock, 0, stream>>>(data, rowScale, rows, columns, out);
    else
        int8Kernel<false><<<grid, threadsPerBlock, 0, stream>>>(data, rowScale, rows, columns, out);
    checkLaunch("dequantizeInt8");
}

} // namespace rlhf::model::cuda
