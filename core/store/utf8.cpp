// UTF-8 validation: an ASCII fast path eight bytes at a time, then the table of well-formed
// byte sequences (Unicode 15, table 3-7).
#include "core/store/utf8.h"

#include <cstdint>
#include <cstring>

namespace rlhf::store {

namespace {

// Length of the well-formed sequence at `position`, or 0 when it is not well formed.
size_t sequenceLength(const unsigned char* bytes, size_t position, size_t size)
{
    const unsigned char lead = bytes[position];
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF; // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;  // no overlong 3-byte forms
        if (lead == 0xED) high = 0x9F; // no surrogates U+D800..U+DFFF
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;  // no overlong 4-byte forms
        if (lead == 0xF4) high = 0x8F; // nothing above U+10FFFF
    } else {
        return 0; // a continuation byte, C0, C1 or F5..FF cannot start a sequence
    }
    if (position + length > size) return 0;
    if (bytes[position + 1] < low || bytes[position + 1] > high) return 0;
    for (size_t i = 2; i < length; ++i) {
        if (bytes[position + i] < 0x80 || bytes[position + i] > 0xBF) return 0;
    }
    return length;
}

} // namespace

std::optional<size_t> findInvalidUtf8(std::string_view text)
{
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const size_t size = text.size();
    size_t position = 0;
    while (position < size) {
        if (position + 8 <= size) {
            uint64_t word;
            std::memcpy(&word, bytes + position, sizeof word);
            if ((word & 0x8080808080808080ULL) == 0) {
                position += 8;
                continue;
            }
        }
        if (bytes[position] < 0x80) {
            ++position;
            continue;
        }
        const size_t length = sequenceLength(bytes, position, size);
        if (length == 0) return position;
        position += length;
    }
    return std::nullopt;
}

} // namespace rlhf::store
