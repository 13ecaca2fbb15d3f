// UTF-8 checks and repair for the tokenizer: validation, code point stepping, and the lossy
// repair that Python's errors="replace" and Rust's String::from_utf8_lossy both perform.
// Not a Unicode library: no normalisation, no case mapping, no character properties.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rlhf::text {

// The replacement character U+FFFD, UTF-8 encoded.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// True when `bytes` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool isValidUtf8(std::string_view bytes);

// Returns `bytes` with every maximal ill-formed subsequence replaced by one U+FFFD (the Unicode
// "substitution of maximal subparts" practice, which Python and Rust follow): "\xF0\x9F" -> one
// U+FFFD, "\xED\xA0\x80" (a surrogate) -> three. Valid input comes back unchanged.
std::string toValidUtf8(std::string_view bytes);

// Appends the UTF-8 encoding of `codePoint` (must be a Unicode scalar value).
void appendUtf8(std::string& out, char32_t codePoint);

// Decodes the code point starting at `valid[position]` and advances `position` past it.
// `valid` must be well-formed UTF-8 and `position` inside it, on a character boundary.
char32_t nextCodePoint(std::string_view valid, std::size_t& position);

} // namespace rlhf::text
