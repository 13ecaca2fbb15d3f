#include "core/model/gguf_quant.h"

#include "core/util/error.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace rlhf::model {

namespace {

constexpr std::size_t q8Block = 32;

template <typename T> void store(std::byte* out, T value)
{
    std::memcpy(out, &value, sizeof value);
}

void quantizeQ8Block(const float* values, std::byte* out)
{
    float absMax = 0.0f;
    for (std::size_t i = 0; i < q8Block; ++i)
        absMax = std::max(absMax, std::fabs(values[i]));
    const float scale = absMax / 127.0f;
    const float inverse = scale == 0.0f ? 0.0f : 1.0f / scale;
    store(out, halfFromFloat(scale));
    for (std::size_t i = 0; i < q8Block; ++i)
        out[2 + i] = std::byte(uint8_t(int8_t(std::round(values[i] * inverse))));
}

} // namespace

uint16_t halfFromFloat(float value)
{
    // Exponent rebias with round-to-nearest-even in integer arithmetic; subnormal results through
    // a float addition that lets the FPU do the rounding.
    constexpr uint32_t infinity = 255u << 23;
    constexpr uint32_t halfOverflow = (127u + 16u) << 23; // 65536: rounds to inf from here on
    constexpr uint32_t denormalMagic = ((127u - 15u) + (23u - 10u) + 1u) << 23;
    uint32_t bits = std::bit_cast<uint32_t>(value);
    const uint32_t sign = bits & 0x80000000u;
    bits ^= sign;
    uint32_t half = 0;
    if (bits >= halfOverflow) {
        half = bits > infinity ? 0x7e00 : 0x7c00; // NaN stays a quiet NaN, inf stays inf
    } else if (bits < (113u << 23)) {             // below fp16's smallest normal: subnormal or zero
        const float sum = std::bit_cast<float>(bits) + std::bit_cast<float>(denormalMagic);
        half = std::bit_cast<uint32_t>(sum) - denormalMagic;
    } else {
        const uint32_t odd = (bits >> 13) & 1;
        bits += ((15u - 127u) << 23) + 0xfff + odd;
        half = bits >> 13;
    }
    return uint16_t(half | (sign >> 16));
}

uint16_t bfloat16FromFloat(float value)
{
    uint32_t bits = std::bit_cast<uint32_t>(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) bits = (bits & 0xffff0000u) | (64u << 16);
    return uint16_t((uint64_t(bits) + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

void packValues(GgmlType type, std::span<const float> values, std::span<std::byte> out)
{
    if (out.size() != ggmlRowBytes(type, int64_t(values.size())))
        throw Error("packing " + std::to_string(values.size()) + " values as " +
                    std::string(ggmlTypeName(type)) + " into " + std::to_string(out.size()) +
                    " bytes");
    std::byte* target = out.data();
    switch (type) {
    case GgmlType::F32:
        std::memcpy(target, values.data(), values.size_bytes());
        return;
    case GgmlType::F16:
        for (std::size_t i = 0; i < values.size(); ++i)
            store(target + 2 * i, halfFromFloat(values[i]));
        return;
    case GgmlType::Bf16:
        for (std::size_t i = 0; i < values.size(); ++i)
            store(target + 2 * i, bfloat16FromFloat(values[i]));
        return;
    case GgmlType::Q8_0:
        for (std::size_t block = 0; block < values.size() / q8Block; ++block)
            quantizeQ8Block(values.data() + block * q8Block, target + block * (2 + q8Block));
        return;
    }
}

} // namespace rlhf::model
