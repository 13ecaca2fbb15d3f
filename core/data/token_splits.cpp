#include "core/data/token_splits.h"

#include "core/data/record.h"
#include "core/store/names.h"
#include "core/store/project.h"
#include "core/store/token_file.h"
#include "core/text/tokenizer.h"
#include "core/text/tokenizer_json.h"
#include "core/util/error.h"

namespace rlhf::data {

namespace {

// SplitMix64 of (seed, ordinal) mapped to [0, 1): a document's fixed place in the split.
double unitHash(uint64_t seed, int64_t ordinal)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + uint64_t(ordinal) + 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return double(x >> 11) / double(1ull << 53);
}

RecordKind recordKind(store::DatasetKind kind)
{
    return parseRecordKind(store::datasetKindName(kind));
}

// What pretraining and tokenizer training read of a document: the text itself, or for chat and
// preference documents (stored as JSON) every message and reply joined with newlines.
std::string_view plainText(RecordKind kind, const store::Document& document, std::string& buffer)
{
    if (kind == RecordKind::Text) return document.text;
    buffer = joinedText(fromDocumentText(kind, document.text));
    return buffer;
}

RecordKind datasetRecordKind(const store::Database& database, store::Id dataset)
{
    const auto record = database.dataset(dataset);
    if (!record) throw Error("no dataset with id " + std::to_string(dataset));
    return recordKind(record->kind);
}

} // namespace

std::string trainProjectTokenizer(store::Project& project, store::Id dataset,
                                  const std::string& name, const text::TrainConfig& config,
                                  const TokenizerProgress& progress)
{
    store::checkName("tokenizer", name); // before any work: it becomes tokenizers/<name>.json
    if (project.database().tokenizer(name))
        throw Error("a tokenizer named '" + name + "' already exists in this project");
    const RecordKind kind = datasetRecordKind(project.database(), dataset);
    text::BpeTrainer trainer(config);
    std::string buffer;
    const int64_t total = progress ? project.database().documentCount(dataset) : 0;
    int64_t done = 0;
    bool cancelled = false;
    project.database().forEachDocument(dataset, [&](const store::Document& document) {
        if (cancelled) return;
        trainer.addText(plainText(kind, document, buffer));
        if (progress && !progress(TokenizerPhase::CountingWords, ++done, total)) cancelled = true;
    });
    if (cancelled) throw Error("tokenizer training cancelled");
    if (trainer.distinctWords() == 0)
        throw Error("dataset " + std::to_string(dataset) + " has no text to train a tokenizer on");
    text::TrainProgress merges;
    if (progress)
        merges = [&](std::size_t made, std::size_t wanted) {
            cancelled = !progress(TokenizerPhase::Merging, int64_t(made), int64_t(wanted));
            return !cancelled;
        };
    const text::Tokenizer tokenizer = trainer.train(merges);
    if (cancelled) throw Error("tokenizer training cancelled");
    const auto file = project.paths().tokenizers() / (name + ".json");
    text::saveTokenizerJson(tokenizer, file);
    const std::string relative = project.paths().relative(file);
    try {
        project.database().addTokenizer(name, relative, tokenizer.vocabSize());
    } catch (...) {
        std::filesystem::remove(file); // not recorded: no file left behind
        throw;
    }
    return relative;
}

TokenSplitResult writeTokenSplits(store::Project& project, store::Id dataset,
                                  const std::string& tokenizerName,
                                  const TokenSplitOptions& options,
                                  const DocumentProgress& progress)
{
    store::Database& database = project.database();
    const auto record = database.tokenizer(tokenizerName);
    if (!record) throw Error("no tokenizer named '" + tokenizerName + "' in this project");
    const auto datasetRecord = database.dataset(dataset);
    if (!datasetRecord) throw Error("no dataset with id " + std::to_string(dataset));
    const text::Tokenizer tokenizer =
        text::loadTokenizerJson(project.paths().absolute(record->path));
    const auto eos = tokenizer.specialTokenId(text::special::eos);
    if (!eos)
        throw Error("tokenizer '" + tokenizerName + "' has no <|eos|> token to end documents");

    const auto& paths = project.paths();
    const auto trainFile =
        paths.tokenFile(datasetRecord->name, tokenizerName, store::TokenSplit::Train);
    const auto valFile =
        paths.tokenFile(datasetRecord->name, tokenizerName, store::TokenSplit::Validation);
    store::TokenFileWriter train(trainFile), val(valFile);
    TokenSplitResult result;
    const int64_t total = database.documentCount(dataset);
    const RecordKind kind = recordKind(datasetRecord->kind);
    // The import's split decides; a dataset without validation documents (imported with no
    // validation share, or before splits existed) holds some out by a hash of the ordinal.
    const bool storedSplit = database.documentCount(dataset, "val") > 0;
    int64_t done = 0;
    bool cancelled = false;
    std::string buffer;
    database.forEachDocument(dataset, [&](const store::Document& document) {
        if (cancelled) return;
        if (document.split == "test") { // kept for evaluation, never trained or validated on
            ++result.testDocuments;
            if (progress && !progress(++done, total)) cancelled = true;
            return;
        }
        const auto ids = tokenizer.encode(plainText(kind, document, buffer));
        const bool held = storedSplit
                              ? document.split == "val"
                              : unitHash(options.seed, document.ordinal) < options.valFraction;
        store::TokenFileWriter& out = held ? val : train;
        out.append(ids);
        out.append(*eos);
        (held ? result.valDocuments : result.trainDocuments) += 1;
        if (progress && !progress(++done, total)) cancelled = true;
    });
    if (cancelled) throw Error("tokenizing cancelled");
    result.trainTokens = int64_t(train.size());
    result.valTokens = int64_t(val.size());
    train.commit();
    val.commit();
    result.trainPath = paths.relative(trainFile);
    result.valPath = paths.relative(valFile);
    return result;
}

} // namespace rlhf::data
