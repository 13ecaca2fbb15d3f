// importDataset and previewCleaning: readers -> cleaning pipeline -> split -> database batches.
#include "core/data/importer.h"

#include "core/data/cleaning/language.h"
#include "core/data/cleaning/text_utils.h"
#include "core/store/project.h"
#include "core/text/tokenizer.h"
#include "core/text/tokenizer_json.h"
#include "core/util/error.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <optional>

namespace rlhf::data {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr size_t maxRawBytes = 4096; // of a quarantined row's source bytes
// Language detection (CLD2) costs more than parsing, cleaning and storing a record together,
// so the language mix is estimated from a sample: every record of a small file, then one in
// 64 (for 1 M records: ~16,600 samples, a standard error under 0.4 points per language).
constexpr int64_t languageEveryRecordUpTo = 1000; // then every languageStride-th record
constexpr int64_t languageStride = 64;

store::DatasetKind datasetKind(RecordKind kind)
{
    switch (kind) {
    case RecordKind::Text:
        return store::DatasetKind::Text;
    case RecordKind::Chat:
        return store::DatasetKind::Chat;
    case RecordKind::Preference:
        return store::DatasetKind::Preference;
    }
    return store::DatasetKind::Text;
}

std::optional<text::Tokenizer> projectTokenizer(store::Project& project, const std::string& name)
{
    if (name.empty()) return std::nullopt;
    const auto entry = project.database().tokenizer(name);
    if (!entry) throw Error("no tokenizer named '" + name + "' in the project");
    return text::loadTokenizerJson(project.paths().absolute(entry->path));
}

// The kind every file of the recipe yields; files that disagree cannot share a dataset.
RecordKind recipeKind(const ImportRecipe& recipe)
{
    std::optional<RecordKind> kind;
    for (const auto& file : recipe.files) {
        const Detection detection = detectFormat(file, recipe.read);
        if (!detection.binary.empty()) continue; // read as one problem, whatever the kind
        if (kind && *kind != detection.kind) {
            throw Error(file.string() + ": holds " + std::string(recordKindName(detection.kind)) +
                        " records, the files before it " + std::string(recordKindName(*kind)) +
                        " records");
        }
        kind = detection.kind;
    }
    return kind.value_or(RecordKind::Text);
}

// Documents are UTF-8 (chat and preference documents are JSON): a record that still holds
// invalid UTF-8 after cleaning (the utf8 step was left out) is quarantined, never mangled.
Verdict requireUtf8(const Record& record)
{
    Verdict verdict;
    forEachField(record, [&](std::string_view field, const std::string& value) {
        const size_t bad = cleaning::firstInvalidUtf8(value);
        if (verdict.keep && bad != std::string_view::npos) {
            verdict = {.keep = false,
                       .step = "utf8",
                       .field = std::string(field),
                       .reason = "invalid UTF-8 at byte " + std::to_string(bad) +
                                 " (the utf8 cleaning step repairs it)"};
        }
    });
    return verdict;
}

// A record with no text left after cleaning (a line of control or zero-width characters) is no
// document.
Verdict requireText(const Record& record)
{
    bool blank = true;
    forEachField(record, [&](std::string_view, const std::string& value) {
        blank = blank && value.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
    });
    if (!blank) return {};
    return {.keep = false, .step = "empty", .reason = "no text left after cleaning"};
}

std::string comparablePath(const fs::path& file)
{
    std::error_code error;
    const fs::path canonical = fs::weakly_canonical(fs::absolute(file, error), error);
    return error ? file.lexically_normal().string() : canonical.string();
}

// Refuses a file given twice, and a file the dataset holds rows from already (its documents and
// quarantined rows record the file as it was named: compared as named and as absolute paths).
void refuseRepeatedFiles(const store::Database& database,
                         const std::optional<store::Dataset>& dataset, const ImportRecipe& recipe)
{
    const std::string howToForce =
        " (rlhf import --force, or \"force\": true in the recipe, imports it anyway; exact "
        "dedup then quarantines the rows the dataset holds already)";
    std::map<std::string, std::string> given; // comparable path -> as named
    for (const auto& file : recipe.files) {
        const auto [at, added] = given.emplace(comparablePath(file), file.string());
        if (!added)
            throw Error(file.string() + " is given twice (also as " + at->second + ")" +
                        howToForce);
    }
    if (!dataset) return;
    for (const auto& [stored, rows] : database.datasetSourceFiles(dataset->id)) {
        const auto found = given.find(comparablePath(stored));
        if (found == given.end()) continue;
        throw Error(found->second + " was imported into dataset '" + dataset->name + "' already (" +
                    std::to_string(rows) +
                    " of its rows are in the dataset or its quarantine); importing it again "
                    "would add its rows twice" +
                    howToForce);
    }
}

// Shows the dataset's documents to the dedup steps, so that the import does not add copies of
// them; returns how many there were.
int64_t rememberDocuments(const store::Database& database, store::Id dataset, RecordKind kind,
                          CleaningPipeline& pipeline)
{
    if (!pipeline.remembers()) return 0;
    int64_t count = 0;
    database.forEachDocument(dataset, [&](const store::Document& document) {
        Record record = withContext("document " + std::to_string(document.ordinal),
                                    [&] { return fromDocumentText(kind, document.text); });
        pipeline.remember(record, document.ordinal);
        ++count;
    });
    return count;
}

// Why an import that read no record at all is a failure: its first problems, or that the files
// are empty.
std::string nothingRead(const ImportRecipe& recipe, const ImportReport& report)
{
    std::string why = "nothing to import: ";
    if (report.firstProblems.empty()) {
        why += recipe.files.size() == 1 ? recipe.files.front().string() + " holds no records"
                                        : "the files hold no records";
        return why;
    }
    for (size_t i = 0; i < report.firstProblems.size() && i < 3; ++i) {
        const ReadProblem& problem = report.firstProblems[i];
        why += (i > 0 ? "; " : "") + problem.source.file + ":" +
               std::to_string(problem.source.line) + ": " + problem.reason;
    }
    if (report.readProblems > 3)
        why += "; and " + std::to_string(report.readProblems - 3) + " more problems";
    return why;
}

// Receives the records of every file of one import and writes them in batches.
class ImportSink final : public RecordSink {
public:
    ImportSink(store::Database& database, store::Id dataset, const ImportRecipe& recipe,
               CleaningPipeline& pipeline, const ImportProgressFn& progress, ImportReport& report)
        : m_database(database), m_dataset(dataset), m_recipe(recipe), m_pipeline(pipeline),
          m_progress(progress), m_report(report), m_nextOrdinal(database.documentCount(dataset))
    {
        for (const auto& file : recipe.files) {
            std::error_code error;
            const auto size = std::filesystem::file_size(file, error);
            if (!error) m_progressState.bytesTotal += size;
        }
    }

    void startFile(const std::filesystem::path& file) { m_progressState.file = file.string(); }
    void finishFile(uint64_t bytes) { m_bytesBefore += bytes; }

    bool record(Record&& record) override
    {
        ++m_report.records;
        Verdict verdict = m_pipeline.process(record, m_nextOrdinal);
        if (verdict.keep) verdict = requireUtf8(record);
        if (verdict.keep) verdict = requireText(record);
        const Split split = assignSplit(record, m_recipe.split);
        if (!verdict.keep) {
            // Only valid UTF-8 can become a document again; the rest keeps its raw bytes.
            std::optional<std::string> document;
            if (requireUtf8(record).keep) document = toDocumentText(record);
            std::string raw = document ? document->substr(0, maxRawBytes) : joinedText(record);
            if (raw.size() > maxRawBytes) raw.resize(maxRawBytes);
            m_rejected.push_back({.step = verdict.step,
                                  .sourceFile = record.source.file,
                                  .sourceLine = record.source.line,
                                  .field = verdict.field,
                                  .reason = verdict.reason,
                                  .raw = std::move(raw),
                                  .duplicateOf = verdict.duplicateOf,
                                  .document = std::move(document),
                                  .split = std::string(splitName(split))});
            ++m_report.quarantined;
            return flushIfFull();
        }
        if (m_report.imported < languageEveryRecordUpTo ||
            m_report.imported % languageStride == 0) {
            ++m_languages[detectLanguage(joinedText(record))];
            ++m_report.languagesSampled;
        }
        switch (split) {
        case Split::Train:
            ++m_report.train;
            break;
        case Split::Val:
            ++m_report.val;
            break;
        case Split::Test:
            ++m_report.test;
            break;
        }
        m_documents.push_back({.text = toDocumentText(record),
                               .sourceFile = std::move(record.source.file),
                               .sourceLine = record.source.line,
                               .split = std::string(splitName(split))});
        ++m_nextOrdinal;
        ++m_report.imported;
        return flushIfFull();
    }

    void problem(ReadProblem&& problem) override
    {
        if (problem.raw.size() > maxRawBytes) problem.raw.resize(maxRawBytes);
        if (m_report.firstProblems.size() < 20) m_report.firstProblems.push_back(problem);
        m_rejected.push_back({.step = "read",
                              .sourceFile = std::move(problem.source.file),
                              .sourceLine = problem.source.line,
                              .field = std::move(problem.field),
                              .reason = std::move(problem.reason),
                              .raw = std::move(problem.raw)});
        ++m_report.readProblems;
        ++m_report.quarantined;
        flushIfFull();
    }

    bool progress(uint64_t bytesDone, uint64_t) override
    {
        m_progressState.bytesDone = m_bytesBefore + bytesDone;
        return report(false);
    }

    // Writes what is pending and waits for it; the last call of an import.
    void flush()
    {
        startWriting();
        waitForWriting();
    }

    // After a failure: waits for the batch being written, whose own error (if any) is not the
    // first one and is dropped.
    void abandon() noexcept
    {
        try {
            waitForWriting();
        } catch (...) {
        }
    }

    // Calls the progress callback when 200 ms have passed (or when `force`); false = cancel.
    bool report(bool force)
    {
        if (!m_progress) return true;
        const auto now = Clock::now();
        if (!force && now - m_lastReport < std::chrono::milliseconds(200)) return true;
        m_lastReport = now;
        m_progressState.records = m_report.records;
        m_progressState.imported = m_report.imported;
        m_progressState.quarantined = m_report.quarantined;
        return m_progress(m_progressState);
    }

    std::vector<std::pair<std::string, int64_t>> languages() const
    {
        std::vector<std::pair<std::string, int64_t>> sorted(m_languages.begin(), m_languages.end());
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        return sorted;
    }

private:
    // Hands the pending batch to a writer thread, once the previous batch is in: SQLite then
    // stores one batch while this thread reads and cleans the next. Batches stay in order and
    // one at a time, so the database sees exactly the calls of a single-threaded import.
    void startWriting()
    {
        waitForWriting();
        if (m_documents.empty() && m_rejected.empty()) return;
        m_writingDocuments.swap(m_documents);
        m_writingRejected.swap(m_rejected);
        m_documents.clear();
        m_rejected.clear();
        m_writing = std::async(std::launch::async, [this] {
            m_database.addImportBatch(m_dataset, m_writingDocuments, m_writingRejected);
        });
    }

    // Waits for the batch being written, if any; rethrows its error here.
    void waitForWriting()
    {
        if (m_writing.valid()) m_writing.get();
    }

    bool flushIfFull()
    {
        if (m_documents.size() + m_rejected.size() >= m_recipe.batchDocuments) startWriting();
        // Progress is checked every 256 records: the clock costs more than a short record.
        if ((m_report.records & 255) == 0) return report(false);
        return true;
    }

    store::Database& m_database;
    store::Id m_dataset;
    const ImportRecipe& m_recipe;
    CleaningPipeline& m_pipeline;
    const ImportProgressFn& m_progress;
    ImportReport& m_report;
    int64_t m_nextOrdinal;
    std::vector<store::Document> m_documents;
    std::vector<store::RejectedRow> m_rejected;
    std::map<std::string, int64_t> m_languages;
    ImportProgress m_progressState;
    uint64_t m_bytesBefore = 0;
    Clock::time_point m_lastReport{}; // the first check reports at once
    // The batch the writer thread is storing, and its task: declared last, so that on an
    // error the task is joined (std::async's future waits) before the batch is destroyed.
    std::vector<store::Document> m_writingDocuments;
    std::vector<store::RejectedRow> m_writingRejected;
    std::future<void> m_writing;
};

} // namespace

ImportReport importDataset(store::Project& project, const ImportRecipe& recipe,
                           const ImportProgressFn& progress)
{
    const auto started = Clock::now();
    if (recipe.dataset.empty()) throw Error("import: the dataset needs a name");
    if (recipe.files.empty()) throw Error("import: no files to import");
    return withContext("importing into dataset '" + recipe.dataset + "'", [&] {
        ImportReport report;
        report.kind = recipeKind(recipe);
        store::Database& database = project.database();
        const std::optional<store::Dataset> existing = database.datasetByName(recipe.dataset);
        if (existing && existing->kind != datasetKind(report.kind)) {
            throw Error("the dataset holds " + std::string(store::datasetKindName(existing->kind)) +
                        " documents; these files hold " + std::string(recordKindName(report.kind)) +
                        " records");
        }
        if (!recipe.force) refuseRepeatedFiles(database, existing, recipe);
        const std::optional<text::Tokenizer> tokenizer =
            projectTokenizer(project, recipe.tokenizer);
        CleaningPipeline pipeline(recipe.cleaning, tokenizer ? &*tokenizer : nullptr);
        if (existing)
            report.existing = rememberDocuments(database, existing->id, report.kind, pipeline);

        // Everything that can refuse the import has run: only now is anything written, and a
        // failure from here on takes out what this import wrote.
        const int64_t firstOrdinal = existing ? database.documentCount(existing->id) : 0;
        const store::Id lastRejected = existing ? database.lastRejectedId(existing->id) : 0;
        report.dataset = existing ? existing->id
                                  : database.addDataset(recipe.dataset, datasetKind(report.kind),
                                                        recipe.files.front().string());
        try { // marked, so that a killed import is undone when the project is next opened
            database.markImportStarted(report.dataset, firstOrdinal, lastRejected, !existing);
        } catch (...) {
            if (!existing) database.removeDataset(report.dataset);
            throw;
        }
        ImportSink sink(database, report.dataset, recipe, pipeline, progress, report);
        try {
            for (const auto& file : recipe.files) {
                sink.startFile(file);
                const ReadSummary summary = readRecords(file, recipe.read, sink);
                sink.finishFile(summary.bytes);
                report.bytes += summary.bytes;
                if (summary.cancelled) {
                    report.cancelled = true;
                    break;
                }
            }
            sink.flush();
            if (!existing && report.records == 0 && !report.cancelled)
                throw Error(nothingRead(recipe, report));
            report.steps = pipeline.report();
            report.languages = sink.languages();
            report.indexBytes = pipeline.indexBytes();
            report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
            database.setDatasetReport(report.dataset, report.toJson());
            database.markImportFinished(report.dataset);
        } catch (...) {
            sink.abandon();
            try {
                if (existing) {
                    database.removeImportedSince(report.dataset, firstOrdinal, lastRejected);
                    database.markImportFinished(report.dataset);
                } else {
                    database.removeDataset(report.dataset);
                }
            } catch (const std::exception&) {
                // The first error is the one to report; this one follows from it.
            }
            throw;
        }
        sink.report(true);
        return report;
    });
}

namespace {

// Collects the first records of a file and their verdicts, stopping after `limit` records.
class PreviewSink final : public RecordSink {
public:
    PreviewSink(CleaningPipeline& pipeline, size_t limit, CleaningPreview& preview)
        : m_pipeline(pipeline), m_limit(limit), m_preview(preview)
    {
    }

    bool record(Record&& record) override
    {
        const Verdict verdict = m_pipeline.process(record, m_preview.records);
        ++m_preview.records;
        if (verdict.keep && m_preview.kept.size() < shown) {
            m_preview.kept.push_back(std::move(record));
        } else if (!verdict.keep && m_preview.removed.size() < shown) {
            m_preview.removed.emplace_back(std::move(record), verdict);
        }
        return size_t(m_preview.records) < m_limit;
    }

    void problem(ReadProblem&& problem) override
    {
        ++m_preview.readProblems;
        if (m_preview.problems.size() < shown) m_preview.problems.push_back(std::move(problem));
    }

private:
    static constexpr size_t shown = 50; // examples of each kind the wizard can list

    CleaningPipeline& m_pipeline;
    size_t m_limit;
    CleaningPreview& m_preview;
};

} // namespace

CleaningPreview previewCleaning(const ImportRecipe& recipe, size_t maxRecords,
                                const text::Tokenizer* tokenizer)
{
    CleaningPreview preview;
    if (recipe.files.empty() || maxRecords == 0) return preview;
    CleaningPipeline pipeline(recipe.cleaning, tokenizer);
    PreviewSink sink(pipeline, maxRecords, preview);
    readRecords(recipe.files.front(), recipe.read, sink);
    preview.steps = pipeline.report();
    return preview;
}

} // namespace rlhf::data
