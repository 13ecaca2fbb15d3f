// CleaningPipeline: builds one Step per configured step and runs them in order on each record,
// stopping at the first removal, while counting what each step examined, changed and removed.
#include "core/data/cleaning/step.h"
#include "core/util/error.h"

namespace rlhf::data {

using cleaning::Outcome;

struct CleaningPipeline::State {
    std::vector<std::unique_ptr<cleaning::Step>> steps;
    std::vector<StepReport> reports; // parallel to steps
};

CleaningPipeline::CleaningPipeline(CleaningConfig config, const text::Tokenizer* tokenizer)
    : m_state(std::make_unique<State>())
{
    for (size_t i = 0; i < config.steps.size(); ++i) {
        const StepConfig& step = config.steps[i];
        const std::string name(stepKindName(step.kind));
        m_state->steps.push_back(
            withContext("cleaning step " + std::to_string(i) + " (" + name + ")",
                        [&] { return cleaning::makeStep(step, tokenizer); }));
        StepReport report;
        report.step = name;
        m_state->reports.push_back(std::move(report));
    }
}

CleaningPipeline::~CleaningPipeline() = default;
CleaningPipeline::CleaningPipeline(CleaningPipeline&&) noexcept = default;
CleaningPipeline& CleaningPipeline::operator=(CleaningPipeline&&) noexcept = default;

Verdict CleaningPipeline::process(Record& record, int64_t id)
{
    Verdict verdict;
    for (size_t i = 0; i < m_state->steps.size(); ++i) {
        StepReport& report = m_state->reports[i];
        ++report.examined;
        const Outcome outcome = m_state->steps[i]->apply(record, id, verdict);
        if (outcome == Outcome::Changed) ++report.changed;
        if (outcome == Outcome::Removed) {
            ++report.removed;
            verdict.keep = false;
            verdict.step = report.step;
            return verdict;
        }
    }
    return verdict;
}

bool CleaningPipeline::remembers() const
{
    for (const auto& step : m_state->steps)
        if (step->remembers()) return true;
    return false;
}

void CleaningPipeline::remember(Record& record, int64_t id)
{
    for (const auto& step : m_state->steps) {
        if (!step->remembers()) continue;
        Verdict ignored; // a copy of a record remembered before is simply not indexed twice
        step->apply(record, id, ignored);
    }
}

std::vector<StepReport> CleaningPipeline::report() const
{
    std::vector<StepReport> reports = m_state->reports;
    for (size_t i = 0; i < reports.size(); ++i)
        m_state->steps[i]->addCounts(reports[i]);
    return reports;
}

size_t CleaningPipeline::indexBytes() const
{
    size_t bytes = 0;
    for (const auto& step : m_state->steps)
        bytes += step->indexBytes();
    return bytes;
}

namespace cleaning {

std::unique_ptr<Step> makeStep(const StepConfig& config, const text::Tokenizer* tokenizer)
{
    switch (config.kind) {
    case StepKind::Utf8:
        return makeUtf8Step(config);
    case StepKind::Nfkc:
        return makeNfkcStep();
    case StepKind::Control:
        return makeControlStep();
    case StepKind::Whitespace:
        return makeWhitespaceStep();
    case StepKind::Html:
        return makeHtmlStep();
    case StepKind::Length:
        return makeLengthStep(config, tokenizer);
    case StepKind::Language:
        return makeLanguageStep(config);
    case StepKind::Pii:
        return makePiiStep(config);
    case StepKind::Blocklist:
        return makeBlocklistStep(config);
    case StepKind::ExactDedup:
        return makeExactDedupStep();
    case StepKind::NearDedup:
        return makeNearDedupStep(config);
    }
    throw Error("unknown step kind " + std::to_string(static_cast<int>(config.kind)));
}

} // namespace cleaning

} // namespace rlhf::data
