// The CPU loops that dequantise a QuantizedWeight (declared in quantized_weight_cpu.h): per NF4
// block a 16-entry table of code * absmax (one rounded fp32 product each, as bitsandbytes' loop),
// looked up per nibble, with SSSE3 byte shuffles where the CPU has them (every x86-64 since
// 2006); per int8 row a 256-entry table. Parallel over blocks / rows; order-fixed, so every
// machine writes the same bits.
#include "core/model/quantized_weight_cpu.h"

#include <ATen/Parallel.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace rlhf::model::cpu {
namespace {

constexpr float inverse127 = 7.874015718698502e-3f; // bnb's fp32 1 / 127 (int8 dequantisation)
constexpr int64_t taskElements = 1 << 15;           // elements per at::parallel_for task

// bf16's 16 bits of `value`, rounded to the nearest even (as c10::BFloat16 and bnb round).
uint16_t bfloat16Bits(float value)
{
    if (std::isnan(value)) return 0x7FC0;
    uint32_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    return uint16_t((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

template <typename Out> Out fromFloat(float value)
{
    if constexpr (std::is_same_v<Out, float>)
        return value;
    else
        return bfloat16Bits(value);
}

// The fp32 absmax of NF4 block `block`: stored, or decoded as bnb's dequantize_blockwise does
// (code * nested absmax, rounded, then + offset, rounded).
struct Nf4Scales {
    const float* absmax = nullptr;
    const uint8_t* codes = nullptr;
    const float* nested = nullptr;
    float offset = 0;

    explicit Nf4Scales(const QuantizedWeight& weight)
    {
        if (!weight.doubleQuant) {
            absmax = weight.absmax.data_ptr<float>();
            return;
        }
        codes = weight.absmax.data_ptr<uint8_t>();
        nested = weight.nestedAbsmax.data_ptr<float>();
        offset = weight.offset;
    }
    float operator()(int64_t block) const
    {
        if (absmax) return absmax[block];
        const float decoded = dynamicMap()[codes[block]] * nested[block / nestedBlockSize];
        return decoded + offset;
    }
};

#if defined(__x86_64__)
// SSSE3 (every x86-64 CPU since 2006, checked at run time): a block's 16 values (code * absmax,
// one IEEE multiply each, as the scalar loop) split into byte planes that pshufb indexes by
// nibble; 16 packed bytes -> 32 outputs per step. Returns the bytes done (a multiple of 16); the
// caller finishes the rest.
#define RLHF_SSSE3 __attribute__((target("ssse3")))

// The 16 codes times `scale`, as 4 vectors of 4 fp32 (bf16: their bits rounded to nearest even
// and shifted into the low half; the absmax is finite, so no NaN needs care).
template <bool Bf16> RLHF_SSSE3 void scaledCodes(float scale, __m128i values[4])
{
    for (int i = 0; i < 4; ++i) {
        const __m128 product =
            _mm_mul_ps(_mm_loadu_ps(nf4Codes().data() + 4 * i), _mm_set1_ps(scale));
        values[i] = _mm_castps_si128(product);
        if constexpr (Bf16) {
            const __m128i lsb = _mm_and_si128(_mm_srli_epi32(values[i], 16), _mm_set1_epi32(1));
            const __m128i bias = _mm_add_epi32(lsb, _mm_set1_epi32(0x7FFF));
            values[i] = _mm_srli_epi32(_mm_add_epi32(values[i], bias), 16);
        }
    }
}

// plane[p] = byte p of each of the 16 values: gather by byte within each group of 4, then
// transpose the 4 x 4 groups of 32 bits.
RLHF_SSSE3 void bytePlanes(const __m128i values[4], __m128i plane[4])
{
    const __m128i byByte = _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __m128i r[4];
    for (int i = 0; i < 4; ++i)
        r[i] = _mm_shuffle_epi8(values[i], byByte);
    const __m128i lo01 = _mm_unpacklo_epi32(r[0], r[1]), lo23 = _mm_unpacklo_epi32(r[2], r[3]);
    const __m128i hi01 = _mm_unpackhi_epi32(r[0], r[1]), hi23 = _mm_unpackhi_epi32(r[2], r[3]);
    plane[0] = _mm_unpacklo_epi64(lo01, lo23);
    plane[1] = _mm_unpackhi_epi64(lo01, lo23);
    plane[2] = _mm_unpacklo_epi64(hi01, hi23);
    plane[3] = _mm_unpackhi_epi64(hi01, hi23);
}

template <typename Out>
RLHF_SSSE3 int64_t nf4Ssse3(const uint8_t* in, int64_t bytes, float scale, Out* out)
{
    constexpr bool bf16 = std::is_same_v<Out, uint16_t>;
    __m128i values[4], plane[4];
    scaledCodes<bf16>(scale, values);
    bytePlanes(values, plane);
    const __m128i nibble = _mm_set1_epi8(0x0F);
    int64_t j = 0;
    for (; j + 16 <= bytes; j += 16, out += 32) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + j));
        const __m128i high = _mm_and_si128(_mm_srli_epi16(v, 4), nibble);
        const __m128i low = _mm_and_si128(v, nibble);
        const __m128i indices[2] = {_mm_unpacklo_epi8(high, low), _mm_unpackhi_epi8(high, low)};
        for (int half = 0; half < 2; ++half) { // 16 outputs each, in element order
            __m128i b[4];
            for (int p = 0; p < (bf16 ? 2 : 4); ++p)
                b[p] = _mm_shuffle_epi8(plane[p], indices[half]);
            __m128i* o = reinterpret_cast<__m128i*>(out + 16 * half);
            if constexpr (bf16) {
                _mm_storeu_si128(o, _mm_unpacklo_epi8(b[0], b[1]));
                _mm_storeu_si128(o + 1, _mm_unpackhi_epi8(b[0], b[1]));
                continue;
            }
            const __m128i b01 = _mm_unpacklo_epi8(b[0], b[1]), b23 = _mm_unpacklo_epi8(b[2], b[3]);
            _mm_storeu_si128(o, _mm_unpacklo_epi16(b01, b23));
            _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(b01, b23));
            const __m128i c01 = _mm_unpackhi_epi8(b[0], b[1]), c23 = _mm_unpackhi_epi8(b[2], b[3]);
            _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(c01, c23));
            _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(c01, c23));
        }
    }
    return j;
}

bool haveSsse3()
{
    static const bool have = __builtin_cpu_supports("ssse3");
    return have;
}
#endif

// Out: float, or uint16_t holding bf16. Per block: the 16 codes times its absmax (each product
// rounded once, as bnb's loop rounds it), then two table look-ups per packed byte.
template <typename Out> void nf4Loop(const QuantizedWeight& weight, Out* out)
{
    const Nf4Scales scales(weight);
    const uint8_t* packed = weight.data.data_ptr<uint8_t>();
    const int64_t numel = weight.numel(), blockSize = weight.blockSize;
    const int64_t blocks = (numel + blockSize - 1) / blockSize;
    at::parallel_for(
        0, blocks, std::max<int64_t>(1, taskElements / blockSize), [&](int64_t begin, int64_t end) {
            for (int64_t block = begin; block < end; ++block) {
                const float scale = scales(block);
                const int64_t first = block * blockSize, count = std::min(blockSize, numel - first);
                const uint8_t* in = packed + first / 2;
                Out* o = out + first;
                const int64_t pairs = count / 2;
                int64_t j = 0;
#if defined(__x86_64__)
                if (haveSsse3()) j = nf4Ssse3(in, pairs, scale, o);
#endif
                if (j == pairs && count % 2 == 0) continue;
                Out table[16];
                for (int k = 0; k < 16; ++k)
                    table[k] = fromFloat<Out>(nf4Codes()[size_t(k)] * scale);
                for (; j < pairs; ++j) { // one store of both outputs of a byte
                    const Out pair[2] = {table[in[j] >> 4], table[in[j] & 0xF]};
                    std::memcpy(o + 2 * j, pair, sizeof pair);
                }
                if (count % 2) o[count - 1] = table[in[pairs] >> 4];
            }
        });
}

// Per row: the 256 possible values (q * SCB) * (1 / 127), then one look-up per element.
template <typename Out> void int8Loop(const QuantizedWeight& weight, Out* out)
{
    const int64_t rows = weight.shape[0], columns = weight.shape[1];
    const int8_t* data = weight.data.data_ptr<int8_t>();
    const float* scb = weight.absmax.data_ptr<float>();
    at::parallel_for(0, rows, std::max<int64_t>(1, taskElements / std::max<int64_t>(columns, 1)),
                     [&](int64_t begin, int64_t end) {
                         for (int64_t row = begin; row < end; ++row) {
                             Out table[256];
                             for (int q = -128; q < 128; ++q)
                                 table[uint8_t(q)] =
                                     fromFloat<Out>((float(q) * scb[row]) * inverse127);
                             const int8_t* in = data + row * columns;
                             Out* o = out + row * columns;
                             for (int64_t c = 0; c < columns; ++c)
                                 o[c] = table[uint8_t(in[c])];
                         }
                     });
}

} // namespace

void dequantizeNf4(const QuantizedWeight& weight, float* out)
{
    nf4Loop(weight, out);
}
void dequantizeNf4(const QuantizedWeight& weight, uint16_t* bf16Out)
{
    nf4Loop(weight, bf16Out);
}
void dequantizeInt8(const QuantizedWeight& weight, float* out)
{
    int8Loop(weight, out);
}
void dequantizeInt8(const QuantizedWeight& weight, uint16_t* bf16Out)
{
    int8Loop(weight, bf16Out);
}

void decodeAbsmax(const QuantizedWeight& weight, float* out)
{
    const Nf4Scales scales(weight);
    for (int64_t block = 0; block < weight.absmax.numel(); ++block)
        out[block] = scales(block);
}

} // namespace rlhf::model::cpu
