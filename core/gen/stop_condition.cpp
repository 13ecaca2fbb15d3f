// Stop token sequences and stop strings (see stop_condition.h).
#include "core/gen/stop_condition.h"

#include "core/util/error.h"

#include <algorithm>
#include <utility>

namespace rlhf::gen {

StopCondition::StopCondition(std::vector<std::vector<int64_t>> tokenSequences,
                             std::vector<std::string> stopStrings, Detokenizer decode)
    : m_tokenSequences(std::move(tokenSequences)), m_stopStrings(std::move(stopStrings)),
      m_decode(std::move(decode))
{
    for (const auto& sequence : m_tokenSequences)
        if (sequence.empty()) throw Error("stop sequences: a stop token sequence is empty");
    for (const auto& text : m_stopStrings)
        if (text.empty()) throw Error("stop strings: a stop string is empty");
    if (!m_stopStrings.empty() && !m_decode)
        throw Error("stop strings: \"" + m_stopStrings.front() +
                    "\" needs a detokenizer, and none was given");
}

std::optional<StopMatch> StopCondition::check(const std::vector<int64_t>& generated) const
{
    for (const auto& sequence : m_tokenSequences) {
        if (sequence.size() > generated.size()) continue;
        if (std::equal(sequence.begin(), sequence.end(), generated.end() - sequence.size()))
            return StopMatch{FinishReason::StopSequence, generated.size() - sequence.size(), {}};
    }
    if (m_stopStrings.empty() || generated.empty()) return std::nullopt;
    return checkText(generated);
}

std::optional<StopMatch> StopCondition::checkText(const std::vector<int64_t>& generated) const
{
    const std::string text = m_decode(generated);
    size_t cut = std::string::npos;
    for (const auto& stop : m_stopStrings)
        cut = std::min(cut, text.find(stop));
    if (cut == std::string::npos) return std::nullopt;

    StopMatch match{FinishReason::StopText, 0, text.substr(0, cut)};
    // The last token completed the match, so it reaches into the stop string: start below it.
    for (size_t kept = generated.size() - 1; kept > 0; --kept) {
        const std::string prefix =
            m_decode(std::vector<int64_t>(generated.begin(), generated.begin() + kept));
        if (prefix.size() <= cut && match.text.compare(0, prefix.size(), prefix) == 0) {
            match.keptTokens = kept;
            break;
        }
    }
    return match;
}

} // namespace rlhf::gen
