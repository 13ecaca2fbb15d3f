// Added tokens (special tokens such as "<|eos|>") and how text is cut around them before
// pre-tokenization, as HF's AddedVocabulary does: leftmost-longest matching, non-normalized
// tokens first, then normalized ones in the remaining text; lstrip/rstrip swallow whitespace.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::text {

struct AddedToken {
    std::string content;     // exact text that is matched, e.g. "<|eos|>"
    std::uint32_t id = 0;    // its id; equals the model's id when the model has the same token
    bool special = true;     // skipped by decode(..., Skip); plain text under encode(..., AsText)
    bool lstrip = false;     // a match also takes the whitespace just before it
    bool rstrip = false;     // a match also takes the whitespace just after it
    bool normalized = false; // HF: matched in normalized text; here only picks the second pass
};

// Whether special tokens written in input text become their ids.
enum class SpecialTokenText {
    Parse, // "<|eos|>" in the text is the eos id (what chat templates rely on)
    AsText // special tokens are ordinary text (HF's encode_special_tokens = True), for user data
};

// HF matches added tokens in two passes: tokens with normalized == false in the raw text, then
// the others in each remaining piece after the normalizer has run on it.
enum class AddedTokenPass { Raw, Normalized };

class AddedTokenMatcher {
public:
    // `tokens` with normalized == true must carry their normalized content (what HF matches).
    explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

    // Cuts `text` (valid UTF-8) into pieces in order: an added token (its id) or ordinary text
    // (std::nullopt). Ordinary pieces are never empty.
    void
    split(std::string_view text, SpecialTokenText mode,
          const std::function<void(std::string_view, std::optional<std::uint32_t>)>& emit) const;
    // One pass alone, for a tokenizer whose normalizer changes the text between the passes.
    // Pieces are views into `text`.
    void
    split(AddedTokenPass pass, std::string_view text, SpecialTokenText mode,
          const std::function<void(std::string_view, std::optional<std::uint32_t>)>& emit) const;

private:
    struct Group {
        std::vector<AddedToken> tokens;                          // longest first
        std::array<std::vector<std::uint32_t>, 256> byFirstByte; // indices into `tokens`
    };

    void splitWith(
        const Group& group, std::string_view text, SpecialTokenText mode,
        const std::function<void(std::string_view, std::optional<std::uint32_t>)>& emitGap) const;

    Group m_raw;        // tokens with normalized == false
    Group m_normalized; // tokens with normalized == true
};

// Unicode White_Space (Rust's and Oniguruma's \s), for lstrip/rstrip.
bool isWhiteSpace(char32_t codePoint);

} // namespace rlhf::text
