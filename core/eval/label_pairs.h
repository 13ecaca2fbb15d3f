// From the labeling pane's judgments to training data: each item's labels (those passing a
// filter) decide by majority which response is better, and the items with a clear winner become
// preference pairs (prompt / chosen / rejected) for the reward-model and DPO stages, or for a
// preference JSONL file. Qt-free and torch-free.
#pragma once

#include "core/store/records.h"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace rlhf {
template <typename Config> class JsonFields;
}

namespace rlhf::store {
class Database;
}

namespace rlhf::eval {

// Which labels count. Every criterion must hold.
struct LabelFilter {
    std::vector<std::string> annotators; // empty: everyone
    std::optional<double> since, until;  // label time, seconds since the Unix epoch, inclusive
    // Share of an item's counted labels that agree with its majority judgment, 0-1; e.g. 1.0
    // keeps only unanimous items. Items below it are left out.
    double minAgreement = 0.0;
    int64_t minLabels = 1; // items with fewer counted labels are left out
};

struct LabelledPair {
    store::Id item = 0;
    std::string promptJson; // as ComparisonItem::promptJson
    std::string chosen, rejected;
    int64_t labels = 0;   // counted labels of the item
    double agreement = 0; // share of them agreeing with the majority
};

// The pairs the filtered labels decide, by item id. An item's judgment is the strict plurality
// of its counted labels; items whose plurality is a tie, both bad, or itself tied (as many A as
// B) give no pair.
std::vector<LabelledPair> labelledPairs(const store::Database& database, const LabelFilter& filter);

// One JSON object per line, {"prompt":[...messages...],"chosen":"...","rejected":"..."}: the
// preference shape `rlhf import` reads back. Returns the number of lines written.
int64_t writePreferenceJsonl(std::ostream& out, const std::vector<LabelledPair>& pairs);

// Stage configs: {"annotators": ["alice"], "since": 1.7e9, "until": 1.8e9,
// "min_agreement": 0.66, "min_labels": 2}, every field optional. The field list reads and writes
// the filter as a JSON value inside a stage document (data.labels); strict: unknown fields and
// out-of-range values throw rlhf::Error naming the field.
const JsonFields<LabelFilter>& labelFilterFields();
// The same for a filter on its own, as JSON text; `where` names it in messages.
LabelFilter labelFilterFromJson(const std::string& json, const std::string& where);
std::string labelFilterToJson(const LabelFilter& filter);

} // namespace rlhf::eval
