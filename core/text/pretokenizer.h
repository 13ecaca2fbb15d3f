// The pre-tokenizer: cuts text into words before BPE, exactly like the HF byte-level pipelines it
// can express: zero or more Split(regex, Isolated) steps followed by one ByteLevel step
// (add_prefix_space, use_regex with GPT-2's pattern). Byte mapping itself happens in the model.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/regex.h"

namespace rlhf::text {

// The two word-splitting patterns our trainer offers.
enum class PatternFlavour {
    Gpt2,  // GPT-2: contractions, letters, numbers of any length, punctuation, spaces
    Llama3 // Llama 3 / tiktoken cl100k: case-insensitive contractions, digits in groups of <= 3,
           // newlines kept apart from other spaces; better for code and numbers
};

// The HF regex of a flavour, e.g. "'s|'t|...| ?\p{L}+| ?\p{N}+|..." for Gpt2.
std::string_view patternOf(PatternFlavour flavour);

struct PreTokenizerConfig {
    struct Split {
        std::string pattern; // Oniguruma-syntax regex, or plain text when `literal`
        bool literal = false;
    };
    std::vector<Split> splits; // applied in order, each as HF Split with behavior Isolated
    bool addPrefixSpace =
        false; // ByteLevel add_prefix_space: " " before each piece not starting with one
    bool useRegex = false; // ByteLevel use_regex: split once more with GPT-2's pattern

    // Sequence[Split(pattern of `flavour`), ByteLevel(add_prefix_space=false, use_regex=false)].
    static PreTokenizerConfig forFlavour(PatternFlavour flavour);
};

class PreTokenizer {
public:
    explicit PreTokenizer(PreTokenizerConfig config); // compiles the regexes; throws rlhf::Error
    PreTokenizer(PreTokenizer&&) noexcept = default;
    PreTokenizer& operator=(PreTokenizer&&) noexcept = default;

    const PreTokenizerConfig& config() const { return m_config; }

    // Calls `emit` with each word of `text` in order (never empty). `text` must be valid UTF-8.
    void forEachWord(std::string_view text,
                     const std::function<void(std::string_view)>& emit) const;

    // The words of `text` as strings (convenient for tests and inspection).
    std::vector<std::string> words(std::string_view text) const;

private:
    void splitFrom(std::size_t step, std::string_view piece,
                   const std::function<void(std::string_view)>& emit) const;

    PreTokenizerConfig m_config;
    std::vector<Regex> m_splits;
    std::optional<Regex> m_byteLevelRegex; // GPT-2's pattern when useRegex
};

} // namespace rlhf::text
