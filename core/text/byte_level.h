// GPT-2's byte-level alphabet: each of the 256 byte values is shown as one printable Unicode
// character (bytes_to_unicode in GPT-2's encoder.py), so tokens of arbitrary bytes are valid
// UTF-8 strings in tokenizer.json ("Ġ" is the space byte). Also the HF ByteLevel decoder.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::text {

// The character that stands for byte `byte`, UTF-8 encoded ("!" for 0x21, "Ġ" for 0x20).
const std::string& byteLevelCharacter(unsigned char byte);

// Maps raw bytes to their byte-level string: "hi there" -> "hiĠthere".
std::string toByteLevel(std::string_view bytes);

// Inverse of toByteLevel; std::nullopt when `token` holds a character outside the alphabet.
std::optional<std::string> fromByteLevel(std::string_view token);

// What HF's ByteLevel decoder does with a token sequence, before its UTF-8 repair: each token
// whose characters are all in the alphabet becomes its bytes; any other token (an added token
// such as "<|im start|>" with a plain space) is kept as its own UTF-8 text. The result may be
// invalid UTF-8 (a multi-byte character split across a stream of tokens); see toValidUtf8.
std::string byteLevelDecode(const std::vector<std::string_view>& tokens);

} // namespace rlhf::text
