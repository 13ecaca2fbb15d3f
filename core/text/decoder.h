// The decoder: token strings -> text, as HF's decoders do. Either ByteLevel (GPT-2 alphabet back
// to bytes) or the SentencePiece-style chain: a sequence of Replace (plain string), ByteFallback
// ("<0x0A>" tokens back to bytes), Fuse, Strip and Metaspace steps, applied in order to the
// whole token list as HF's decode_chain does. Added tokens pass through the chain like any token.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/pretokenizer.h"

namespace rlhf::text {

struct DecoderStep {
    enum class Kind {
        Replace,      // in each token, `pattern` -> `content` (e.g. "▁" -> " ")
        ByteFallback, // runs of "<0xXX>" tokens -> their bytes
        Fuse,         // all tokens -> one
        Strip,        // each token loses up to `start` leading / `stop` trailing `content` chars
        Metaspace     // `metaspace.replacement` -> " ", dropped in the first token unless Never
    };
    Kind kind = Kind::Fuse;
    std::string pattern;       // Replace
    std::string content;       // Replace: the replacement; Strip: one character
    std::size_t start = 0;     // Strip
    std::size_t stop = 0;      // Strip
    MetaspaceConfig metaspace; // Metaspace (its split field is only kept for saving)
};

struct DecoderConfig {
    bool byteLevel = true;          // HF ByteLevel; `steps` unused
    std::vector<DecoderStep> steps; // the chain when not byteLevel
    bool sequence = true;           // written as {"type": "Sequence"}; false: one step itself
};

// What ByteFallback does with a run of byte tokens that is not valid UTF-8.
enum class InvalidBytes {
    Replace, // HF: one U+FFFD per byte of the run (so the output is valid UTF-8)
    Keep     // the raw bytes, for streaming: a character may end in a later token
};

class Decoder {
public:
    Decoder() = default; // ByteLevel
    explicit Decoder(DecoderConfig config);

    const DecoderConfig& config() const { return m_config; }

    // The text of `tokens` (tokenizer.json strings, added tokens' contents included). ByteLevel
    // output is raw bytes either way (see byteLevelDecode); the caller repairs it.
    std::string decode(const std::vector<std::string_view>& tokens, InvalidBytes invalid) const;

private:
    DecoderConfig m_config;
};

// The byte of a byte-fallback token "<0x0A>", as HF's ByteFallback decoder reads it; -1 when
// `token` is not one.
int byteFallbackValue(std::string_view token);

} // namespace rlhf::text
