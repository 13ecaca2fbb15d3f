// Labelled pairs: each item's filtered labels vote, the strict plurality decides, and an item
// won by A or B becomes a preference pair. Also the filter's JSON form (stage configs) and the
// preference JSONL export that `rlhf import` reads back.
#include "core/eval/label_pairs.h"

#include "core/store/database.h"
#include "core/store/label_records.h"
#include "core/util/error.h"
#include "core/util/json_fields.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <ostream>

namespace rlhf::eval {

namespace {

using store::Judgment;

// Shares are ratios of small counts (2/3 = 0.666...); a threshold written as a rounded or
// computed decimal must not miss them by one ulp.
constexpr double agreementTolerance = 1e-9;

bool counts(const store::Label& label, const LabelFilter& filter)
{
    if (!filter.annotators.empty() && std::find(filter.annotators.begin(), filter.annotators.end(),
                                                label.annotator) == filter.annotators.end())
        return false;
    if (filter.since && label.created < *filter.since) return false;
    if (filter.until && label.created > *filter.until) return false;
    return true;
}

// The pair one item's counted labels decide, or nothing.
std::optional<LabelledPair> decide(const store::ComparisonItem& item,
                                   const std::array<int64_t, 4>& votes, const LabelFilter& filter)
{
    int64_t total = 0, best = 0, atBest = 0;
    size_t winner = 0;
    for (size_t judgment = 0; judgment < votes.size(); ++judgment) {
        total += votes[judgment];
        if (votes[judgment] > best) {
            best = votes[judgment];
            winner = judgment;
            atBest = 1;
        } else if (votes[judgment] == best && best > 0) {
            ++atBest;
        }
    }
    if (total == 0 || total < filter.minLabels) return std::nullopt;
    if (atBest != 1) return std::nullopt; // no strict plurality, e.g. as many A as B
    const auto judgment = static_cast<Judgment>(winner);
    if (judgment != Judgment::A && judgment != Judgment::B) return std::nullopt;
    const double agreement = double(best) / double(total);
    if (agreement + agreementTolerance < filter.minAgreement) return std::nullopt;
    const bool aWins = judgment == Judgment::A;
    return LabelledPair{.item = item.id,
                        .promptJson = item.promptJson,
                        .chosen = aWins ? item.responseA : item.responseB,
                        .rejected = aWins ? item.responseB : item.responseA,
                        .labels = total,
                        .agreement = agreement};
}

} // namespace

std::vector<LabelledPair> labelledPairs(const store::Database& database, const LabelFilter& filter)
{
    // Votes per item, indexed by Judgment's value.
    std::map<store::Id, std::array<int64_t, 4>> votes;
    for (const store::Label& label : database.labels()) {
        if (counts(label, filter)) ++votes[label.item][static_cast<size_t>(label.judgment)];
    }
    std::vector<LabelledPair> pairs;
    for (const store::ComparisonItem& item : database.comparisonItems()) {
        const auto found = votes.find(item.id);
        if (found == votes.end()) continue;
        if (auto pair = decide(item, found->second, filter)) pairs.push_back(std::move(*pair));
    }
    return pairs;
}

int64_t writePreferenceJsonl(std::ostream& out, const std::vector<LabelledPair>& pairs)
{
    int64_t lines = 0;
    for (const LabelledPair& pair : pairs) {
        const auto prompt = withContext("item " + std::to_string(pair.item) + ": the prompt", [&] {
            return nlohmann::ordered_json::parse(pair.promptJson);
        });
        // ordered_json keeps the documented field order; a sampled reply may hold invalid UTF-8
        // (byte-level tokens), which is written as U+FFFD rather than failing the whole export.
        const nlohmann::ordered_json line{
            {"prompt", prompt}, {"chosen", pair.chosen}, {"rejected", pair.rejected}};
        out << line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
        ++lines;
    }
    if (!out) throw Error("writing the preference JSONL failed");
    return lines;
}

namespace {

// "since" / "until": a time bound, absent when unset.
JsonFields<LabelFilter>& timeBound(JsonFields<LabelFilter>& fields, const char* name,
                                   std::optional<double> LabelFilter::*bound)
{
    return fields.custom(
        name,
        [name, bound](JsonReader& reader, LabelFilter& filter) {
            double seconds = 0;
            reader.read(name, seconds);
            if (reader.has(name)) filter.*bound = seconds;
        },
        [name, bound](const LabelFilter& filter, nlohmann::ordered_json& json) {
            if (filter.*bound) json[name] = *(filter.*bound);
        });
}

JsonFields<LabelFilter> makeLabelFilterFields()
{
    JsonFields<LabelFilter> fields;
    fields.field("annotators", &LabelFilter::annotators);
    timeBound(fields, "since", &LabelFilter::since);
    timeBound(fields, "until", &LabelFilter::until);
    fields.field("min_agreement", &LabelFilter::minAgreement);
    fields.field("min_labels", &LabelFilter::minLabels);
    fields.check("annotators", "an annotator name is empty", [](const LabelFilter& filter) {
        return std::none_of(filter.annotators.begin(), filter.annotators.end(),
                            [](const std::string& name) { return name.empty(); });
    });
    fields.check("min_agreement", "expected a share between 0 and 1",
                 [](const LabelFilter& filter) {
                     return filter.minAgreement >= 0.0 && filter.minAgreement <= 1.0;
                 });
    fields.check("min_labels", "expected at least 1",
                 [](const LabelFilter& filter) { return filter.minLabels >= 1; });
    fields.check("until", "is before since", [](const LabelFilter& filter) {
        return !(filter.since && filter.until && *filter.since > *filter.until);
    });
    return fields;
}

} // namespace

const JsonFields<LabelFilter>& labelFilterFields()
{
    static const JsonFields<LabelFilter> fields = makeLabelFilterFields();
    return fields;
}

LabelFilter labelFilterFromJson(const std::string& json, const std::string& where)
{
    const nlohmann::json parsed = withContext(where, [&] { return nlohmann::json::parse(json); });
    JsonReader reader(parsed, where);
    LabelFilter filter;
    labelFilterFields().read(reader, filter);
    return filter;
}

std::string labelFilterToJson(const LabelFilter& filter)
{
    return labelFilterFields().write(filter).dump();
}

} // namespace rlhf::eval
