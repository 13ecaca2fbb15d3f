// UTF-8 validation and maximal-subpart repair (see utf8.h). The byte ranges are Table 3-7
// "Well-Formed UTF-8 Byte Sequences" of the Unicode Standard.

#include "core/text/utf8.h"

namespace rlhf::text {

namespace {

// Length of the well-formed sequence starting at bytes[position], or, when it is ill-formed, the
// negated length of its maximal subpart (at least 1 byte) that one U+FFFD replaces.
int sequenceLength(std::string_view bytes, std::size_t position)
{
    const auto lead = static_cast<unsigned char>(bytes[position]);
    if (lead < 0x80) return 1;
    int continuations = 0;
    unsigned char low = 0x80; // allowed range of the first continuation byte
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        continuations = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        continuations = 2;
        if (lead == 0xE0) low = 0xA0;  // no overlongs
        if (lead == 0xED) high = 0x9F; // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        continuations = 3;
        if (lead == 0xF0) low = 0x90;  // no overlongs
        if (lead == 0xF4) high = 0x8F; // nothing above U+10FFFF
    } else {
        return -1; // 80..C1 and F5..FF never start a sequence
    }
    for (int index = 1; index <= continuations; ++index) {
        if (position + index >= bytes.size()) return -index;
        const auto byte = static_cast<unsigned char>(bytes[position + index]);
        if (byte < low || byte > high) return -index;
        low = 0x80;
        high = 0xBF;
    }
    return continuations + 1;
}

} // namespace

bool isValidUtf8(std::string_view bytes)
{
    std::size_t position = 0;
    while (position < bytes.size()) {
        // ASCII fast path: most text is mostly ASCII.
        if (static_cast<unsigned char>(bytes[position]) < 0x80) {
            ++position;
            continue;
        }
        const int length = sequenceLength(bytes, position);
        if (length < 0) return false;
        position += length;
    }
    return true;
}

std::string toValidUtf8(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size() + 8);
    std::size_t position = 0;
    while (position < bytes.size()) {
        const int length = sequenceLength(bytes, position);
        if (length > 0) {
            out.append(bytes.substr(position, length));
            position += length;
        } else {
            out.append(kReplacementCharacter);
            position += -length;
        }
    }
    return out;
}

void appendUtf8(std::string& out, char32_t codePoint)
{
    if (codePoint < 0x80) {
        out.push_back(static_cast<char>(codePoint));
    } else if (codePoint < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (codePoint >> 6)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else if (codePoint < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (codePoint >> 12)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (codePoint >> 18)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((codePoint >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (codePoint & 0x3F)));
    }
}

char32_t nextCodePoint(std::string_view valid, std::size_t& position)
{
    const auto lead = static_cast<unsigned char>(valid[position++]);
    if (lead < 0x80) return lead;
    const int continuations = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
    char32_t codePoint = lead & (0x3F >> continuations);
    for (int index = 0; index < continuations; ++index)
        codePoint = (codePoint << 6) | (static_cast<unsigned char>(valid[position++]) & 0x3F);
    return codePoint;
}

} // namespace rlhf::text
