// The interface every cleaning step implements inside the library, and the helpers they share.
// Not part of the public contract (cleaning.h is): the pipeline owns a list of Steps and asks
// each in turn to edit or judge a record.
#pragma once

#include "core/data/cleaning/cleaning.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace rlhf::data::cleaning {

// What a step did to one record.
enum class Outcome { Unchanged, Changed, Removed };

class Step {
public:
    virtual ~Step() = default;
    // Edits `record` in place or removes it (filling verdict.reason, .field, .duplicateOf).
    // `id` is the importer's ordinal of the record, remembered by the dedup steps.
    virtual Outcome apply(Record& record, int64_t id, Verdict& verdict) = 0;
    virtual size_t indexBytes() const { return 0; }
    // True for steps that remember what they kept (dedup): CleaningPipeline::remember feeds them.
    virtual bool remembers() const { return false; }
    // Appends the step's own tallies (PII replacements per type) to its report.
    virtual void addCounts(StepReport&) const {}
};

// A step that edits each text field on its own (normalisers and scrubbers). `edit` rewrites
// `value` and returns true when it changed it; it may set `rejection` to remove the record.
class FieldStep : public Step {
public:
    Outcome apply(Record& record, int64_t id, Verdict& verdict) final;

protected:
    virtual bool edit(std::string& value, std::string& rejection) = 0;
    std::string m_scratch; // reused output buffer, so steady state allocates nothing
};

std::unique_ptr<Step> makeStep(const StepConfig& config, const text::Tokenizer* tokenizer);

// Factories, one per file.
std::unique_ptr<Step> makeUtf8Step(const StepConfig& config);
std::unique_ptr<Step> makeNfkcStep();
std::unique_ptr<Step> makeControlStep();
std::unique_ptr<Step> makeWhitespaceStep();
std::unique_ptr<Step> makeHtmlStep();
std::unique_ptr<Step> makeLengthStep(const StepConfig& config, const text::Tokenizer* tokenizer);
std::unique_ptr<Step> makeLanguageStep(const StepConfig& config);
std::unique_ptr<Step> makePiiStep(const StepConfig& config);
std::unique_ptr<Step> makeBlocklistStep(const StepConfig& config);
std::unique_ptr<Step> makeExactDedupStep();
std::unique_ptr<Step> makeNearDedupStep(const StepConfig& config);

} // namespace rlhf::data::cleaning
