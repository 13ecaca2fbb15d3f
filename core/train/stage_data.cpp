#include "core/train/stage_data.h"

#include "core/store/database.h"
#include "core/util/error.h"

namespace rlhf::train {

namespace {

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
