// ByteBlock: 64 bytes of text turned into 64-bit masks, one bit per byte (bit i = byte i), so
// the cleaning steps can test a whole block for the rare bytes they care about in a few
// instructions. SSE2 (part of every x86-64) where the compiler has it, a plain loop elsewhere.
// Not a general SIMD layer: just the three questions the steps ask.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rlhf::data::cleaning {

class ByteBlock {
public:
    static constexpr size_t kSize = 64;

    // Reads kSize bytes at `p`.
    explicit ByteBlock(const char* p)
    {
#if defined(__SSE2__)
        for (int k = 0; k < 4; ++k)
            m_lanes[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
#else
        std::memcpy(m_bytes, p, kSize);
#endif
    }

    // Bytes equal to `c`.
    uint64_t equal(char c) const
    {
#if defined(__SSE2__)
        const __m128i needle = _mm_set1_epi8(c);
        return combine([&](__m128i lane) { return _mm_cmpeq_epi8(lane, needle); });
#else
        return scalar([&](unsigned char b) { return b == static_cast<unsigned char>(c); });
#endif
    }

    // Bytes <= `c` (unsigned compare).
    uint64_t atMost(unsigned char c) const
    {
#if defined(__SSE2__)
        const __m128i limit = _mm_set1_epi8(static_cast<char>(c));
        return combine(
            [&](__m128i lane) { return _mm_cmpeq_epi8(_mm_min_epu8(lane, limit), lane); });
#else
        return scalar([&](unsigned char b) { return b <= c; });
#endif
    }

    // Bytes >= 0x80: every byte of a non-ASCII character.
    uint64_t nonAscii() const
    {
#if defined(__SSE2__)
        return combine([](__m128i lane) { return lane; });
#else
        return scalar([](unsigned char b) { return b >= 0x80; });
#endif
    }

private:
#if defined(__SSE2__)
    template <typename Compare> uint64_t combine(Compare compare) const
    {
        uint64_t mask = 0;
        for (int k = 0; k < 4; ++k)
            mask |= uint64_t(uint32_t(_mm_movemask_epi8(compare(m_lanes[k])))) << (16 * k);
        return mask;
    }
    __m128i m_lanes[4];
#else
    template <typename Test> uint64_t scalar(Test test) const
    {
        uint64_t mask = 0;
        for (size_t i = 0; i < kSize; ++i)
            mask |= uint64_t(test(m_bytes[i])) << i;
        return mask;
    }
    unsigned char m_bytes[kSize];
#endif
};

} // namespace rlhf::data::cleaning

namespace rlhf::data::cleaning {

// Calls visit(block) for each ByteBlock of `text` in order, the last one padded with `pad`
// bytes, until visit returns false; true when every block was visited.
template <typename Visit> bool forEachBlock(const char* text, size_t size, char pad, Visit visit)
{
    size_t i = 0;
    for (; i + ByteBlock::kSize <= size; i += ByteBlock::kSize)
        if (!visit(ByteBlock(text + i))) return false;
    if (i == size) return true;
    char last[ByteBlock::kSize];
    std::memset(last, pad, sizeof last);
    std::memcpy(last, text + i, size - i);
    return visit(ByteBlock(last));
}

} // namespace rlhf::data::cleaning
