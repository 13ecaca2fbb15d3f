// The project database (project.sqlite): the one class behind which all SQL lives. It opens or
// creates the file (WAL journal, foreign keys on, busy timeout), migrates it to the current
// schema, and offers the few reads and writes the rest of the core needs. Not the folder
// layout (project.h) and not the import formats (text_import.h).
#pragma once

#include "core/store/label_records.h"
#include "core/store/records.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct sqlite3;

namespace rlhf::store {

struct DatabaseOptions {
    int busyTimeoutMs = 5000; // how long a write waits for another writer to finish, e.g. 5000
};

enum class OpenMode {
    CreateIfMissing, // a missing file becomes a new, empty project database
    ExistingOnly,    // a missing file is an error
};

// One connection. Use one Database per thread; several connections (threads or worker
// processes) may share a file: WAL lets readers run beside the single writer, and writers
// queue for up to busyTimeoutMs. Every write method is one transaction: all or nothing.
// Failures throw rlhf::Error whose message starts with the file name.
class Database {
public:
    explicit Database(const std::filesystem::path& file, OpenMode mode = OpenMode::CreateIfMissing,
                      const DatabaseOptions& options = {});
    ~Database();
    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;

    const std::filesystem::path& file() const { return m_file; }
    int schemaVersion() const;
    std::string journalMode() const; // "wal" once open
    // True when the project could only be opened for reading (its file or folder is not
    // writable): reading works, the first write fails naming the database.
    bool readOnly() const;

    // Datasets and their documents.
    Id addDataset(std::string_view name, DatasetKind kind, std::string_view sourcePath);
    std::vector<Dataset> datasets() const; // in creation order
    std::optional<Dataset> dataset(Id id) const;
    std::optional<Dataset> datasetByName(std::string_view name) const;
    // Appends after the dataset's last document; ordinals are assigned here (the input's are
    // ignored). Batch many documents per call: one call is one transaction.
    void addDocuments(Id dataset, std::span<const Document> documents);
    // Documents and quarantined rows together, in one transaction: the importer's batch.
    void addImportBatch(Id dataset, std::span<const Document> documents,
                        std::span<const RejectedRow> rejected);
    int64_t documentCount(Id dataset) const;
    int64_t documentCount(Id dataset, std::string_view split) const;
    void setDatasetReport(Id dataset, std::string_view reportJson);
    // The files a dataset's documents and quarantined rows came from (as recorded), each with
    // how many rows it gave; sorted by file.
    std::vector<std::pair<std::string, int64_t>> datasetSourceFiles(Id dataset) const;
    // The id of the dataset's last quarantined row (0: none): with documentCount, the mark
    // that removeImportedSince undoes an import back to.
    Id lastRejectedId(Id dataset) const;
    // Undoes a failed import, in one transaction: removes the documents from ordinal
    // `firstOrdinal` on and the quarantined rows after id `lastRejected`.
    void removeImportedSince(Id dataset, int64_t firstOrdinal, Id lastRejected);
    // Removes a dataset with its documents and quarantine, in one transaction.
    void removeDataset(Id dataset);
    // Imports under way (database_imports.cpp): the importer marks the dataset before its first
    // batch and clears the mark when it has finished or undone itself, so an import whose
    // process was killed can be undone when the project is next opened (store/run_recovery.h).
    // Marking throws while another live process imports into the dataset.
    void markImportStarted(Id dataset, int64_t firstOrdinal, Id lastRejected, bool createdDataset);
    void markImportFinished(Id dataset);
    std::vector<ImportUnderWay> importsUnderWay() const;
    // Calls `visit` for each document in ordinal order; the reference is valid during the call.
    void forEachDocument(Id dataset, const std::function<void(const Document&)>& visit) const;
    std::vector<Document> documents(Id dataset, int64_t offset, int64_t limit) const;

    // The import quarantine (database_quarantine.cpp).
    void addRejected(Id dataset, std::span<const RejectedRow> rows);
    std::vector<RejectedRow> rejectedRows(Id dataset) const; // in insertion order
    int64_t rejectedCount(Id dataset) const;
    // Rows matching `filter`, in insertion order, a page at a time.
    std::vector<RejectedRow> searchRejected(Id dataset, const RejectedFilter& filter,
                                            int64_t offset, int64_t limit) const;
    int64_t countRejected(Id dataset, const RejectedFilter& filter) const;
    // Appends the row's document to its dataset (in its split) and marks the row restored;
    // returns the new ordinal. Throws for a row without a document form (a read problem: fix
    // the source and import again) and for a row restored already.
    int64_t restoreRejected(Id row);
    // (step, rows) still in the quarantine, by step name (database_quarantine_views.cpp).
    std::vector<std::pair<std::string, int64_t>> rejectedSteps(Id dataset) const;

    // Runs: created Running (tagged with this process, store/process_tag.h), moved between
    // Running and Paused, ended by finishRun with a final status (Completed, Stopped, Failed,
    // Interrupted) which also stamps the end time: now, or `ended` when that is known.
    Id createRun(RunStage stage, std::string_view name, std::string_view configJson,
                 std::optional<Id> parent = std::nullopt);
    void updateRunStatus(Id run, RunStatus status);
    void finishRun(Id run, RunStatus status, std::optional<double> ended = std::nullopt);
    std::vector<Run> runs() const; // in creation order
    std::optional<Run> run(Id id) const;

    // Metrics: a point for a (run, name, step) already stored replaces it, so a run resumed
    // from an earlier checkpoint overwrites the steps it repeats.
    void appendMetrics(Id run, std::span<const MetricPoint> points);
    std::vector<MetricSample> metricSeries(Id run, std::string_view name) const; // by step
    std::vector<std::string> metricNames(Id run) const;                          // sorted

    // Checkpoints: saving the same (run, step) again replaces the entry.
    Id addCheckpoint(Id run, int64_t step, std::string_view path,
                     std::string_view metricsJson = "{}");
    std::vector<Checkpoint> checkpoints(Id run) const; // by step
    std::optional<Checkpoint> latestCheckpoint(Id run) const;
    // The checkpoint saved at `path` (project-relative, as stored), e.g. to find the run that a
    // resume continues.
    std::optional<Checkpoint> checkpointAt(std::string_view path) const;

    // PPO / GRPO rollouts (database_rollouts.cpp): a step's rows replace any stored for that
    // (run, step), so a resumed run overwrites the steps it repeats. The rows' own `step` is
    // ignored (the argument wins); tokenKl is stored as float32 and reads back rounded to it.
    void addRollouts(Id run, int64_t step, std::span<const Rollout> rollouts);
    std::vector<Rollout> rollouts(Id run, int64_t step) const; // by index
    std::vector<int64_t> rolloutSteps(Id run) const;           // ascending

    // Labeling (database_labels.cpp). Items are added in one transaction; an item whose
    // (source, origin) is stored already is skipped. Returns how many were added.
    int64_t addComparisonItems(std::span<const ComparisonItem> items);
    std::optional<ComparisonItem> comparisonItem(Id id) const;
    std::vector<ComparisonItem> comparisonItems() const; // by id
    int64_t comparisonItemCount() const;
    // Items `annotator` has not labelled yet, by id, at most `limit` (< 0: all).
    std::vector<ComparisonItem> unlabelledItems(std::string_view annotator,
                                                int64_t limit = -1) const;
    int64_t unlabelledCount(std::string_view annotator) const;
    // Stores label.annotator's judgment of label.item, replacing that annotator's earlier label
    // of the item; committed (durable) when it returns. Returns the label's id. Throws for an
    // unknown item or an empty annotator.
    Id setLabel(const Label& label);
    // Removes `annotator`'s label of `item` (undo); false when there was none.
    bool removeLabel(Id item, std::string_view annotator);
    std::optional<Label> label(Id item, std::string_view annotator) const;
    std::vector<Label> labels() const;           // by item, then annotator
    std::vector<std::string> annotators() const; // who labelled anything, sorted
    // Arena battles (database_arena.cpp): one row per vote, committed when it returns.
    Id addBattle(const Battle& battle);
    std::vector<Battle> battles() const; // by id
    std::optional<Battle> battle(Id id) const;
    // The Chat tab's rated replies (database_feedback.cpp), each committed when the call returns.
    // addFeedback stores a new row (a regenerated reply is another row); the rating of a row can
    // be changed (which stamps `rated` anew) or the row removed. Throws for an empty reply or a
    // prompt or settings that is not JSON; setFeedbackRating throws for an unknown row.
    Id addFeedback(const Feedback& feedback);
    void setFeedbackRating(Id id, Rating rating, double rated = unixSecondsNow());
    bool removeFeedback(Id id);             // false when there was no such row
    std::vector<Feedback> feedback() const; // by id
    std::optional<Feedback> feedbackRow(Id id) const;

    // Tokenizers by unique name.
    Id addTokenizer(std::string_view name, std::string_view path, int64_t vocabSize);
    std::optional<Tokenizer> tokenizer(std::string_view name) const;
    std::vector<Tokenizer> tokenizers() const; // in creation order

    // Base models by unique name (database_models.cpp).
    Id addModel(const BaseModel& model); // its id and created are ignored
    std::optional<BaseModel> model(std::string_view name) const;
    std::vector<BaseModel> models() const; // in the order they were added

private:
    struct Closer {
        void operator()(sqlite3* db) const;
    };

    sqlite3* handle() const { return m_db.get(); }
    // "<file>: <action>", the context of every error raised while doing `action`.
    std::string context(std::string_view action) const;

    std::filesystem::path m_file;
    std::unique_ptr<sqlite3, Closer> m_db; // owned connection
};

} // namespace rlhf::store
