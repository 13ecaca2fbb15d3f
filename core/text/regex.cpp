// PCRE2-backed pre-tokenizer regex with HF-compatible character classes (see regex.h).
// The class tables below were found by matching every code point against \s, \p{L}, \p{N} in both
// engines (tokenizers 0.21 from PyPI and Debian 12's PCRE2 10.42); only these differ.

#include "core/text/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/util/error.h"

namespace rlhf::text {

namespace {

// Oniguruma's \s: Unicode White_Space. PCRE2's \s adds U+180E (MONGOLIAN VOWEL SEPARATOR).
constexpr std::string_view kWhiteSpace =
    R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

// Letters and numbers of Unicode 15.0-16.0 that PCRE2 10.42 (Unicode 14) does not know yet.
constexpr std::string_view kNewerLetters =
    R"(\x{1C89}-\x{1C8A}\x{A7CB}-\x{A7CD}\x{A7DA}-\x{A7DC}\x{105C0}-\x{105F3}\x{10D4A}-\x{10D65})"
    R"(\x{10D6F}-\x{10D85}\x{10EC2}-\x{10EC4}\x{1123F}-\x{11240}\x{11380}-\x{11389}\x{1138B})"
    R"(\x{1138E}\x{11390}-\x{113B5}\x{113B7}\x{113D1}\x{113D3}\x{11BC0}-\x{11BE0}\x{11F02})"
    R"(\x{11F04}-\x{11F10}\x{11F12}-\x{11F33}\x{1342F}\x{13441}-\x{13446}\x{13460}-\x{143FA})"
    R"(\x{16100}-\x{1611D}\x{16D40}-\x{16D6C}\x{18CFF}\x{1B132}\x{1B155}\x{1DF25}-\x{1DF2A})"
    R"(\x{1E030}-\x{1E06D}\x{1E4D0}-\x{1E4EB}\x{1E5D0}-\x{1E5ED}\x{1E5F0}\x{2B739})"
    R"(\x{2EBF0}-\x{2EE5D}\x{31350}-\x{323AF})";
constexpr std::string_view kNewerNumbers =
    R"(\x{10D40}-\x{10D49}\x{116D0}-\x{116E3}\x{11BF0}-\x{11BF9}\x{11F50}-\x{11F59})"
    R"(\x{16130}-\x{16139}\x{16D70}-\x{16D79}\x{1CCF0}-\x{1CCF9}\x{1D2C0}-\x{1D2D3})"
    R"(\x{1E4F0}-\x{1E4F9}\x{1E5F1}-\x{1E5FA})";

// Class contents (without brackets) for an escape we rewrite, or empty for "copy as is".
std::string classContents(std::string_view escape)
{
    if (escape == R"(\s)") return std::string(kWhiteSpace);
    if (escape == R"(\p{L})" || escape == R"(\pL)")
        return std::string(R"(\p{L})") + std::string(kNewerLetters);
    if (escape == R"(\p{N})" || escape == R"(\pN)")
        return std::string(R"(\p{N})") + std::string(kNewerNumbers);
    return {};
}

// The escape sequence starting at pattern[position] (a backslash): "\s", "\p{L}", "\x{41}", ...
std::string_view escapeAt(std::string_view pattern, std::size_t position)
{
    std::size_t end = position + 2;
    if (end > pattern.size()) throw Error("pattern ends with a lone backslash");
    const char kind = pattern[position + 1];
    if ((kind == 'p' || kind == 'P' || kind == 'x') && end < pattern.size() &&
        pattern[end] == '{') {
        const std::size_t close = pattern.find('}', end);
        if (close == std::string_view::npos)
            throw Error("unterminated \\" + std::string(1, kind) + "{ at offset " +
                        std::to_string(position));
        end = close + 1;
    } else if ((kind == 'p' || kind == 'P') && end < pattern.size()) {
        end += 1; // one-letter property, \pL
    }
    return pattern.substr(position, end - position);
}

} // namespace

std::string toPcre2Pattern(std::string_view pattern)
{
    std::string out;
    out.reserve(pattern.size() * 4);
    bool inClass = false;
    std::size_t position = 0;
    while (position < pattern.size()) {
        const char character = pattern[position];
        if (character == '\\') {
            const std::string_view escape = escapeAt(pattern, position);
            position += escape.size();
            // The negated forms: \S, \P{L}, \P{N} (as the positive form's complement).
            std::string positive(escape);
            const bool negated = escape.size() >= 2 && (escape[1] == 'S' || escape[1] == 'P');
            if (negated) positive[1] = static_cast<char>(escape[1] == 'S' ? 's' : 'p');
            const std::string contents = classContents(positive);
            if (contents.empty()) {
                out += escape;
            } else if (inClass && negated) {
                throw Error("cannot translate " + std::string(escape) +
                            " inside a character class for PCRE2");
            } else if (inClass) {
                out += contents;
            } else {
                out += (negated ? "[^" : "[") + contents + "]";
            }
            continue;
        }
        if (inClass && character == '[' && pattern.substr(position, 2) == "[:") {
            const std::size_t close = pattern.find(":]", position + 2);
            if (close == std::string_view::npos)
                throw Error("unterminated [: at offset " + std::to_string(position));
            out += pattern.substr(position, close + 2 - position);
            position = close + 2;
            continue;
        }
        if (inClass && character == '[')
            throw Error("nested character classes are not supported (offset " +
                        std::to_string(position) + ")");
        out += character;
        ++position;
        if (!inClass && character == '[') {
            inClass = true;
            // A ']' right after '[' or '[^' is a literal member, not the end of the class.
            if (position < pattern.size() && pattern[position] == '^') out += pattern[position++];
            if (position < pattern.size() && pattern[position] == ']') out += pattern[position++];
        } else if (inClass && character == ']') {
            inClass = false;
        }
    }
    return out;
}

struct Regex::Compiled {
    pcre2_code* code = nullptr;
    bool jit = false;
    ~Compiled() { pcre2_code_free(code); }
};

Regex::Regex(std::string pattern, bool literal)
    : m_pattern(std::move(pattern)), m_literal(literal), m_compiled(std::make_unique<Compiled>())
{
    std::string translated = m_pattern;
    if (!literal) {
        const std::string context = "regex '" + m_pattern + "'";
        translated = withContext(context, [&] { return toPcre2Pattern(m_pattern); });
    }
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    // PCRE2 refuses UCP together with LITERAL; a literal needs no character properties.
    const uint32_t options = PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);
    m_compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()),
                                     translated.size(), options, &errorCode, &errorOffset, nullptr);
    if (!m_compiled->code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(errorCode, message, sizeof message);
        throw Error("regex '" + m_pattern + "': " + reinterpret_cast<const char*>(message) +
                    " (offset " + std::to_string(errorOffset) + " of the PCRE2 form)");
    }
    m_compiled->jit = pcre2_jit_compile(m_compiled->code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() = default;
Regex::Regex(Regex&& other) noexcept = default;
Regex& Regex::operator=(Regex&& other) noexcept = default;

void Regex::splitIsolated(std::string_view subject,
                          const std::function<void(std::string_view)>& emit) const
{
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> matchData(
        pcre2_match_data_create_from_pattern(m_compiled->code, nullptr), &pcre2_match_data_free);
    if (!matchData) throw Error("regex: out of memory for match data");
    const auto* data = reinterpret_cast<PCRE2_SPTR>(subject.data());
    std::size_t offset = 0;   // where the next search starts
    std::size_t gapStart = 0; // end of the last emitted match
    while (offset < subject.size()) {
        // The subject was validated once by the caller; PCRE2 must not re-check it per match,
        // which would make splitting quadratic.
        const int result = m_compiled->jit
                               ? pcre2_jit_match(m_compiled->code, data, subject.size(), offset, 0,
                                                 matchData.get(), nullptr)
                               : pcre2_match(m_compiled->code, data, subject.size(), offset,
                                             PCRE2_NO_UTF_CHECK, matchData.get(), nullptr);
        if (result == PCRE2_ERROR_NOMATCH) break;
        if (result < 0) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(result, message, sizeof message);
            throw Error("regex '" + m_pattern + "': " + reinterpret_cast<const char*>(message));
        }
        const PCRE2_SIZE* vector = pcre2_get_ovector_pointer(matchData.get());
        const std::size_t start = vector[0];
        const std::size_t end = vector[1];
        if (end == start) {
            // An empty match splits nothing; step over one UTF-8 character and search again.
            offset = start + 1;
            while (offset < subject.size() &&
                   (static_cast<unsigned char>(subject[offset]) & 0xC0) == 0x80)
                ++offset;
            continue;
        }
        if (start > gapStart) emit(subject.substr(gapStart, start - gapStart));
        emit(subject.substr(start, end - start));
        gapStart = end;
        offset = end;
    }
    if (gapStart < subject.size()) emit(subject.substr(gapStart));
}

} // namespace rlhf::text
