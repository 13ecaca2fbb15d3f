// GPT-2 byte-level alphabet tables and the HF ByteLevel decoding rule (see byte_level.h).

#include "core/text/byte_level.h"

#include "core/text/utf8.h"

namespace rlhf::text {

namespace {

// Code points of the alphabet: 256 of them, all below this bound.
constexpr char32_t kAlphabetEnd = 256 + 68;

struct Alphabet {
    std::array<std::string, 256> characterOfByte;
    std::array<int, kAlphabetEnd> byteOfCodePoint{}; // -1 outside the alphabet

    Alphabet()
    {
        byteOfCodePoint.fill(-1);
        // Printable bytes stand for themselves: '!'..'~', '¡'..'¬', '®'..'ÿ'. The other 68
        // bytes (controls, space, DEL, NBSP, soft hyphen) take U+0100, U+0101, ... in byte order.
        auto printable = [](int byte) {
            return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) ||
                   (byte >= 0xAE && byte <= 0xFF);
        };
        char32_t next = 256;
        for (int byte = 0; byte < 256; ++byte) {
            const char32_t codePoint = printable(byte) ? static_cast<char32_t>(byte) : next++;
            appendUtf8(characterOfByte[byte], codePoint);
            byteOfCodePoint[codePoint] = byte;
        }
    }
};

const Alphabet& alphabet()
{
    static const Alphabet table;
    return table;
}

} // namespace

const std::string& byteLevelCharacter(unsigned char byte)
{
    return alphabet().characterOfByte[byte];
}

std::string toByteLevel(std::string_view bytes)
{
    const Alphabet& table = alphabet();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char byte : bytes)
        out += table.characterOfByte[static_cast<unsigned char>(byte)];
    return out;
}

std::optional<std::string> fromByteLevel(std::string_view token)
{
    if (!isValidUtf8(token)) return std::nullopt;
    const Alphabet& table = alphabet();
    std::string bytes;
    bytes.reserve(token.size());
    std::size_t position = 0;
    while (position < token.size()) {
        const char32_t codePoint = nextCodePoint(token, position);
        if (codePoint >= kAlphabetEnd || table.byteOfCodePoint[codePoint] < 0) return std::nullopt;
        bytes.push_back(static_cast<char>(table.byteOfCodePoint[codePoint]));
    }
    return bytes;
}

std::string byteLevelDecode(const std::vector<std::string_view>& tokens)
{
    std::string bytes;
    for (std::string_view token : tokens) {
        if (std::optional<std::string> decoded = fromByteLevel(token))
            bytes += *decoded;
        else
            bytes += token;
    }
    return bytes;
}

} // namespace rlhf::text
