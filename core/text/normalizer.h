// The text normalizer HF applies before pre-tokenization, limited to what SentencePiece-style
// tokenizer.json files use: Prepend (Llama 2 / Mistral's "▁" in front) and Replace with a plain
// string pattern (" " -> "▁"), alone or in a sequence. Not Unicode normalization (NFC, NFKC...).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rlhf::text {

struct NormalizerStep {
    enum class Kind {
        Prepend, // `content` in front of non-empty text
        Replace  // every non-overlapping `pattern` (left to right) becomes `content`
    };
    Kind kind = Kind::Replace;
    std::string pattern; // Replace only; plain text, e.g. " "
    std::string content; // e.g. "▁"
};

struct NormalizerConfig {
    std::vector<NormalizerStep> steps; // in order; empty is HF's null normalizer
    bool sequence = true; // written as {"type": "Sequence"}; false: the single step itself
};

class Normalizer {
public:
    Normalizer() = default; // the identity: HF normalizer null
    explicit Normalizer(NormalizerConfig config);

    const NormalizerConfig& config() const { return m_config; }
    bool isIdentity() const { return m_config.steps.empty(); }

    // `text` after every step.
    std::string normalize(std::string_view text) const;

private:
    NormalizerConfig m_config;
};

// `text` with every non-overlapping `pattern` replaced by `content`, scanning left to right, as
// HF's String patterns do; an empty pattern matches nothing.
std::string replaceAll(std::string_view text, std::string_view pattern, std::string_view content);

} // namespace rlhf::text
