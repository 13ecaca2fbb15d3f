// The length step: removes records whose joined text is outside [min, max] in code points
// and, with a tokenizer, in tokens. Tokens are counted only when a token bound is set, since
// encoding costs far more than counting code points.
#include "core/data/cleaning/step.h"
#include "core/data/cleaning/text_utils.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"

namespace rlhf::data::cleaning {

namespace {

// "" when `value` is within [min, max] (0 = no bound), else the reason.
std::string outOfBounds(int64_t value, int64_t min, int64_t max, const char* unit)
{
    if (min > 0 && value < min)
        return std::to_string(value) + " " + unit + " < min " + std::to_string(min);
    if (max > 0 && value > max)
        return std::to_string(value) + " " + unit + " > max " + std::to_string(max);
    return {};
}

class LengthStep final : public Step {
public:
    LengthStep(const StepConfig& config, const text::Tokenizer* tokenizer)
        : m_config(config), m_tokenizer(tokenizer)
    {
        if ((config.minTokens > 0 || config.maxTokens > 0) && !tokenizer)
            throw Error("token bounds (min_tokens / max_tokens) need a tokenizer");
    }

    Outcome apply(Record& record, int64_t, Verdict& verdict) override
    {
        std::string joined;
        if (record.kind != RecordKind::Text) joined = joinedText(record);
        const std::string& text = record.kind == RecordKind::Text ? record.text : joined;
        verdict.reason =
            outOfBounds(countCodePoints(text), m_config.minChars, m_config.maxChars, "chars");
        if (verdict.reason.empty() && (m_config.minTokens > 0 || m_config.maxTokens > 0)) {
            const auto tokens = static_cast<int64_t>(m_tokenizer->encode(text).size());
            verdict.reason = outOfBounds(tokens, m_config.minTokens, m_config.maxTokens, "tokens");
        }
        return verdict.reason.empty() ? Outcome::Unchanged : Outcome::Removed;
    }

private:
    StepConfig m_config;
    const text::Tokenizer* m_tokenizer; // not owned; outlives the pipeline
};

} // namespace

std::unique_ptr<Step> makeLengthStep(const StepConfig& config, const text::Tokenizer* tokenizer)
{
    return std::make_unique<LengthStep>(config, tokenizer);
}

} // namespace rlhf::data::cleaning
