#include "core/train/stage_data.h"

#include "core/store/database.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace rlhf::train {

namespace {

// splitmix64's finaliser: a well-mixed 64-bit hash of `z`, so consecutive item ids land in the
// val split independently, and an item stays in its split however many labels arrive later.
uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

constexpr uint64_t splitBuckets = 1000; // val_fraction resolution: 0.1% of the items

bool inValSplit(store::Id item, double valFraction)
{
    return double(mix64(uint64_t(item)) % splitBuckets) < valFraction * double(splitBuckets);
}

data::Record pairRecord(const eval::LabelledPair& pair)
{
    const nlohmann::json document{{"prompt", nlohmann::json::parse(pair.promptJson)},
                                  {"chosen", pair.chosen},
                                  {"rejected", pair.rejected}};
    // Through the document form, which checks the prompt's messages.
    return data::fromDocumentText(
        data::RecordKind::Preference,
        document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
        {"labelled item", pair.item});
}

store::Dataset requireDataset(const store::Database& database, const std::string& name,
                              const std::string& where)
{
    const auto dataset = database.datasetByName(name);
    if (!dataset)
        throw Error(where + ": data.dataset: the project has no dataset \"" + name + "\"");
    return *dataset;
}

std::vector<data::Record> readSplit(const store::Database& database, const store::Dataset& dataset,
                                    const std::string& split, data::RecordKind kind)
{
    std::vector<data::Record> records;
    database.forEachDocument(dataset.id, [&](const store::Document& document) {
        if (document.split != split) return;
        withContext("dataset \"" + dataset.name + "\" document " + std::to_string(document.ordinal),
                    [&] {
                        records.push_back(data::fromDocumentText(
                            kind, document.text, {document.sourceFile, document.sourceLine}));
                    });
    });
    return records;
}

} // namespace

std::vector<data::Record> loadStageRecords(const store::Database& database, const std::string& name,
                                           const std::string& split, data::RecordKind kind,
                                           const std::string& where)
{
    const store::Dataset dataset = requireDataset(database, name, where);
    const auto stored = data::parseRecordKind(store::datasetKindName(dataset.kind));
    if (stored != kind)
        throw Error(where + ": data.dataset: \"" + name + "\" holds " +
                    std::string(store::datasetKindName(dataset.kind)) +
                    " records; this stage needs " + std::string(data::recordKindName(kind)) +
                    " records");
    return readSplit(database, dataset, split, kind);
}

std::vector<data::Record> loadLabelRecords(const store::Database& database,
                                           const eval::LabelFilter& filter, double valFraction,
                                           const std::string& split, const std::string& where)
{
    if (split != "train" && split != "val")
        throw Error(where + ": data.labels: no split \"" + split + "\" (train or val)");
    const std::vector<eval::LabelledPair> pairs = eval::labelledPairs(database, filter);
    if (pairs.empty())
        throw Error(where + ": data.labels: no labelled pair passes the filter (" +
                    std::to_string(database.labels().size()) + " labels of " +
                    std::to_string(database.comparisonItemCount()) + " items stored)");
    std::vector<data::Record> records;
    for (const eval::LabelledPair& pair : pairs) {
        if (inValSplit(pair.item, valFraction) != (split == "val")) continue;
        withContext(where + ": data.labels: item " + std::to_string(pair.item),
                    [&] { records.push_back(pairRecord(pair)); });
    }
    if (records.empty() && split == "train")
        throw Error(where + ": data.labels: all " + std::to_string(pairs.size()) +
                    " labelled pairs fell in the val split (val_fraction " +
                    std::to_string(valFraction) + ")");
    return records;
}

std::vector<PromptExample> promptsOf(const std::vector<data::Record>& records)
{
    std::vector<PromptExample> prompts;
    for (const data::Record& record : records) {
        PromptExample prompt;
        if (record.kind == data::RecordKind::Preference) {
            prompt.messages = record.messages;
            prompt.reference = record.chosen;
        } else {
            prompt.messages = record.messages;
            while (!prompt.messages.empty() && prompt.messages.back().role == "assistant") {
                prompt.reference = prompt.messages.back().content;
                prompt.messages.pop_back();
            }
        }
        if (!prompt.messages.empty()) prompts.push_back(std::move(prompt));
    }
    return prompts;
}

std::vector<PromptExample> loadStagePrompts(const store::Database& database,
                                            const std::string& name, const std::string& split,
                                            const std::string& where)
{
    const store::Dataset dataset = requireDataset(database, name, where);
    if (dataset.kind == store::DatasetKind::Text)
        throw Error(where + ": data.dataset: \"" + name +
                    "\" holds plain text; prompts come from a chat or preference dataset");
    const auto kind = data::parseRecordKind(store::datasetKindName(dataset.kind));
    return promptsOf(readSplit(database, dataset, split, kind));
}

} // namespace rlhf::train
