// The pre-tokenizer: cuts text into words before BPE, exactly like the HF pipelines it can
// express: zero or more Split(regex, Isolated) steps followed by one ByteLevel step
// (add_prefix_space, use_regex with GPT-2's pattern), or SentencePiece style: one Metaspace step,
// Gemma's Split(String, MergedWithPrevious), or none at all (the whole text is one word). Byte
// mapping itself happens in the model.
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

// HF Metaspace's prepend_scheme: when the replacement character goes in front of a piece.
enum class PrependScheme {
    Always, // every piece between added tokens (Llama 2's legacy behaviour)
    First,  // only the piece that starts the input text (offset 0), as non-legacy Llama/Mistral
    Never
};

// HF Metaspace: spaces become `replacement`, a prefix per `prependScheme`, then optionally a
// split before each replacement character (behaviour MergedWithNext).
struct MetaspaceConfig {
    std::string replacement = "\u2581"; // one character, UTF-8 ("▁")
    PrependScheme prependScheme = PrependScheme::Always;
    bool split = true; // "▁a▁b" -> "▁a", "▁b"; false keeps the piece whole
};

struct PreTokenizerConfig {
    enum class Kind {
        ByteLevel,  // `splits`, then HF ByteLevel (`addPrefixSpace`, `useRegex`)
        Metaspace,  // `metaspace` alone
        SplitAfter, // HF Split(String `splitAfter`, MergedWithPrevious): a word ends after each
        None        // pre_tokenizer null: each piece between added tokens is one word
    };
    Kind kind = Kind::ByteLevel;
    struct Split {
        std::string pattern; // Oniguruma-syntax regex, or plain text when `literal`
        bool literal = false;
    };
    std::vector<Split> splits; // applied in order, each as HF Split with behavior Isolated
    bool addPrefixSpace =
        false; // ByteLevel add_prefix_space: " " before each piece not starting with one
    bool useRegex = false;     // ByteLevel use_regex: split once more with GPT-2's pattern
    MetaspaceConfig metaspace; // used when kind == Metaspace
    std::string splitAfter;    // used when kind == SplitAfter, e.g. " " (Gemma)

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
    // `atStart`: `text` begins the input (HF: original offset 0), for Metaspace's First scheme.
    void forEachWord(std::string_view text, const std::function<void(std::string_view)>& emit,
                     bool atStart = true) const;

    // The words of `text` as strings (convenient for tests and inspection).
    std::vector<std::string> words(std::string_view text) const;

private:
    void splitAfter(std::string_view text, const std::function<void(std::string_view)>& emit) const;
    void metaspaceWords(std::string_view text, bool atStart,
                        const std::function<void(std::string_view)>& emit) const;
    void splitFrom(std::size_t step, std::string_view piece,
                   const std::function<void(std::string_view)>& emit) const;

    PreTokenizerConfig m_config;
    std::vector<Regex> m_splits;
    std::optional<Regex> m_byteLevelRegex; // GPT-2's pattern when useRegex
};

} // namespace rlhf::text
