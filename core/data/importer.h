// Importing files into a dataset of the project: read (any format) -> clean (the pipeline) ->
// split -> store, streaming with batched transactions, progress and cancel. Everything that a
// reader or a cleaning step turns away goes to the quarantine with its reason, its source
// file:line and (for duplicates) the ordinal of the document it duplicates; a removed record
// keeps its document form there, so it can be restored.
#pragma once

#include "core/data/cleaning/cleaning.h"
#include "core/data/readers/reader.h"
#include "core/store/records.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace rlhf::store {
class Project;
}

namespace rlhf::data {

// Everything an import needs: the CLI's JSON recipe file and the import wizard's result.
//   {"dataset": "dialogs", "files": ["a.jsonl.gz"], "format": "auto", "unit": "line",
//    "shape": "auto", "mapping": {"text": "body"}, "cleaning": {"steps": [...]},
//    "split": {"val": 0.05, "test": 0.0, "seed": 0}, "tokenizer": "bpe-8k", "force": false}
struct ImportRecipe {
    std::string dataset; // created if missing; appended to if it exists
    std::vector<std::filesystem::path> files;
    ReadOptions read;
    CleaningConfig cleaning = CleaningConfig::defaults();
    SplitConfig split;
    std::string tokenizer;         // project tokenizer for token-length bounds; "" = none
    size_t batchDocuments = 10000; // documents per transaction
    // A file whose rows the dataset holds already (by the file name its documents and quarantine
    // record) is refused unless this is set; either way the dedup steps see the documents the
    // dataset holds, so copies of them are quarantined as duplicates, not added.
    bool force = false;

    static ImportRecipe fromJson(std::string_view json); // strict; relative files stay relative
    std::string toJson() const;
};

struct ImportProgress {
    std::string file;        // the file being read
    uint64_t bytesDone = 0;  // over all files
    uint64_t bytesTotal = 0; // over all files
    int64_t records = 0;     // read so far
    int64_t imported = 0;
    int64_t quarantined = 0;
};
// Called a few times a second at most; return false to cancel (batches committed stay).
using ImportProgressFn = std::function<bool(const ImportProgress&)>;

struct ImportReport {
    store::Id dataset = 0;
    RecordKind kind = RecordKind::Text;
    int64_t records = 0;                    // read from the files
    int64_t readProblems = 0;               // rows the readers could not use
    std::vector<ReadProblem> firstProblems; // the first 20 of them, for messages
    int64_t imported = 0;
    int64_t quarantined = 0; // readProblems + records the cleaning removed
    int64_t train = 0, val = 0, test = 0;
    std::vector<StepReport> steps;
    // Language mix of the imported records, most first, e.g. {"en", 9120}: measured on every
    // record up to the first 1,000, then on every 64th (CLD2 costs more than the rest of a
    // default import), so the counts add up to languagesSampled.
    std::vector<std::pair<std::string, int64_t>> languages;
    int64_t languagesSampled = 0;
    uint64_t bytes = 0;    // input bytes read
    double seconds = 0;    // wall time
    size_t indexBytes = 0; // dedup index memory at the end
    int64_t existing = 0;  // documents the dataset held before, shown to the dedup steps
    bool cancelled = false;
    std::string toJson() const; // also stored with the dataset
};

// Throws rlhf::Error for what stops the whole import (missing file, a dataset of another kind,
// a file imported into the dataset before without `force`, files that hold no record at all
// for a new dataset, a database error); row-level trouble is quarantined, and so are a binary
// file and a damaged compressed stream (the rows before the damage are kept). An import that
// throws leaves nothing behind: a dataset it created is removed, and what it added to an
// existing one is taken out again. A cancelled import keeps the batches it committed.
ImportReport importDataset(store::Project& project, const ImportRecipe& recipe,
                           const ImportProgressFn& progress = {});

// A dry run over the first `maxRecords` records of the recipe's first file, no database: what
// the wizard shows live while the user edits the cleaning steps.
struct CleaningPreview {
    std::vector<Record> kept;                        // the first few kept records, cleaned
    std::vector<std::pair<Record, Verdict>> removed; // the first few removed, with why
    std::vector<ReadProblem> problems;               // the first few read problems
    std::vector<StepReport> steps;
    int64_t records = 0, readProblems = 0;
};
CleaningPreview previewCleaning(const ImportRecipe& recipe, size_t maxRecords,
                                const text::Tokenizer* tokenizer = nullptr);

} // namespace rlhf::data
