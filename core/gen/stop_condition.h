// Stop sequences of one generation: token-id sequences and text stop strings, checked on a row's
// generated tokens after each new token. Torch-free; knows nothing of batches or models.
// Text stops need a Detokenizer (e.g. the BPE tokenizer's decode), passed in by the caller.
#pragma once

#include "core/gen/finish_reason.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rlhf::gen {

// Token ids -> text, e.g. a tokenizer's decode. Only stop strings and GeneratedSequence::text
// need it.
using Detokenizer = std::function<std::string(const std::vector<int64_t>& tokens)>;

struct StopMatch {
    FinishReason reason;   // StopSequence or StopText
    size_t keptTokens = 0; // leading generated tokens that stay in the output
    std::string text;      // StopText only: the decoded text before the stop string
};

class StopCondition {
public:
    StopCondition() = default; // stops nothing

    // Sequences and strings must not be empty; stop strings require `decode`.
    // Throws rlhf::Error otherwise.
    StopCondition(std::vector<std::vector<int64_t>> tokenSequences,
                  std::vector<std::string> stopStrings, Detokenizer decode);

    // Checks one row's generated tokens (prompt excluded) right after a token was appended.
    // A token sequence matches when it ends the row: its tokens are dropped (keptTokens).
    // A stop string matches anywhere in decode(generated): the text is cut where the earliest
    // stop string starts, and the tokens are cut before the first token whose text reaches into
    // it (the longest prefix whose decoding is a prefix of the cut text). Token sequences are
    // checked first. Costs one decode of the row per call when stop strings are set.
    std::optional<StopMatch> check(const std::vector<int64_t>& generated) const;

    bool empty() const { return m_tokenSequences.empty() && m_stopStrings.empty(); }

private:
    std::optional<StopMatch> checkText(const std::vector<int64_t>& generated) const;

    std::vector<std::vector<int64_t>> m_tokenSequences;
    std::vector<std::string> m_stopStrings;
    Detokenizer m_decode; // owned copy of the caller's function
};

} // namespace rlhf::gen
