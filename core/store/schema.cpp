// The schema as data: one entry per version, applied in order by migrate().
// Times are REAL seconds since the Unix epoch (UTC); JSON columns hold UTF-8 JSON text.
#include "core/store/schema.h"

#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

#include <array>
#include <string>

namespace rlhf::store {

namespace {

// Version 1: datasets with their documents, and training runs with metrics and checkpoints.
constexpr std::string_view schemaVersion1 = R"sql(
CREATE TABLE datasets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    source_path TEXT NOT NULL,
    created     REAL NOT NULL
);
CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    dataset     INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    source_file TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    UNIQUE (dataset, ordinal)
);
CREATE TABLE runs (
    id      INTEGER PRIMARY KEY,
    stage   TEXT NOT NULL,
    name    TEXT NOT NULL,
    config  TEXT NOT NULL,
    status  TEXT NOT NULL,
    started REAL NOT NULL,
    ended   REAL,
    parent  INTEGER REFERENCES runs(id) ON DELETE SET NULL
);
CREATE TABLE metrics (
    run       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    name      TEXT NOT NULL,
    value     REAL NOT NULL,
    wall_time REAL NOT NULL
);
CREATE UNIQUE INDEX metrics_by_series ON metrics (run, name, step);
CREATE TABLE checkpoints (
    id      INTEGER PRIMARY KEY,
    run     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step    INTEGER NOT NULL,
    path    TEXT NOT NULL,
    metrics TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (run, step)
);
)sql";

// Version 2: the import quarantine (rows that could not be imported, with their reason) and
// the tokenizer index.
constexpr std::string_view schemaVersion2 = R"sql(
CREATE TABLE rejected_rows (
    id          INTEGER PRIMARY KEY,
    dataset     INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    source_file TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    field       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    raw         BLOB NOT NULL
);
CREATE INDEX rejected_rows_by_dataset ON rejected_rows (dataset);
CREATE TABLE tokenizers (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    path       TEXT NOT NULL,
    vocab_size INTEGER NOT NULL,
    created    REAL NOT NULL
);
)sql";

// Version 3: the cleaning pipeline. Documents carry their split; a quarantined row records the
// step that removed it, the document it duplicates, and its document form so it can be
// restored; a dataset keeps the report of its import.
constexpr std::string_view schemaVersion3 = R"sql(
ALTER TABLE documents ADD COLUMN split TEXT NOT NULL DEFAULT 'train';
CREATE INDEX documents_by_split ON documents (dataset, split);
ALTER TABLE rejected_rows ADD COLUMN step TEXT NOT NULL DEFAULT 'read';
ALTER TABLE rejected_rows ADD COLUMN duplicate_of INTEGER;
ALTER TABLE rejected_rows ADD COLUMN document TEXT;
ALTER TABLE rejected_rows ADD COLUMN split TEXT NOT NULL DEFAULT 'train';
ALTER TABLE rejected_rows ADD COLUMN restored_as INTEGER;
ALTER TABLE datasets ADD COLUMN report TEXT NOT NULL DEFAULT '{}';
)sql";

// Version 4: the sampled responses of PPO / GRPO steps. token_kl is the per-token KL as a
// little-endian float32 array (4 bytes a token, no header): compact, and float precision is
// plenty for a value shown in a heat strip. A step's rows are replaced together (addRollouts).
// The UNIQUE index on (run, step, idx) is also the index by (run, step): its prefix serves the
// step queries and the listing of steps, so no second index is kept.
constexpr std::string_view schemaVersion4 = R"sql(
CREATE TABLE rollouts (
    run        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step       INTEGER NOT NULL,
    idx        INTEGER NOT NULL,
    prompt     TEXT NOT NULL,
    response   TEXT NOT NULL,
    score      REAL NOT NULL,
    reward     REAL NOT NULL,
    kl         REAL NOT NULL,
    true_score REAL,
    token_kl   BLOB NOT NULL,
    UNIQUE (run, step, idx)
);
)sql";

// Version 5: human judgment. Comparison items wait in the labeling pane, unique per (source,
// origin) so queueing the same pair twice adds nothing; an annotator has at most one label per
// item (setLabel upserts on that key), and an item's labels go with it. The UNIQUE (item,
// annotator) index also serves "items this annotator has not labelled". Battles are the arena's
// votes, one row each, with both sides' conversations and settings as JSON.
constexpr std::string_view schemaVersion5 = R"sql(
CREATE TABLE comparison_items (
    id         INTEGER PRIMARY KEY,
    source     TEXT NOT NULL,
    origin     TEXT NOT NULL,
    prompt     TEXT NOT NULL,
    response_a TEXT NOT NULL,
    response_b TEXT NOT NULL,
    model_a    TEXT NOT NULL,
    model_b    TEXT NOT NULL,
    created    REAL NOT NULL,
    UNIQUE (source, origin)
);
CREATE TABLE labels (
    id        INTEGER PRIMARY KEY,
    item      INTEGER NOT NULL REFERENCES comparison_items(id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    judgment  TEXT NOT NULL,
    swapped   INTEGER NOT NULL,
    comment   TEXT NOT NULL,
    created   REAL NOT NULL,
    UNIQUE (item, annotator)
);
CREATE TABLE battles (
    id             INTEGER PRIMARY KEY,
    model_a        TEXT NOT NULL,
    model_b        TEXT NOT NULL,
    conversation_a TEXT NOT NULL,
    conversation_b TEXT NOT NULL,
    settings_a     TEXT NOT NULL,
    settings_b     TEXT NOT NULL,
    vote           TEXT NOT NULL,
    voter          TEXT NOT NULL,
    created        REAL NOT NULL
);
)sql";

// Version 6: base models, Hugging Face model folders the user added (a Llama, a Qwen): the
// starting points of fine-tuning and contestants of chat and the arena, beside the runs'
// checkpoints. `path` is absolute for a folder outside the project (weights stay where they are:
// gigabytes, often in the Hugging Face cache), else project-relative.
constexpr std::string_view schemaVersion6 = R"sql(
CREATE TABLE models (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    path       TEXT NOT NULL,
    family     TEXT NOT NULL,
    parameters INTEGER NOT NULL,
    created    REAL NOT NULL
);
)sql";

// Version 7: faults. A run records the process that trains it (store/process_tag.h), so one
// whose process is gone can be told from one still training; so does an import under way, with
// the marks that undo it (a dataset it created goes whole). A metric may be NaN (a diverging
// step is recorded as it was), stored as NULL: SQLite cannot drop NOT NULL in place, so the
// table is rebuilt.
constexpr std::string_view schemaVersion7 = R"sql(
ALTER TABLE runs ADD COLUMN owner TEXT;
CREATE TABLE imports_under_way (
    dataset         INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
    owner           TEXT NOT NULL,
    first_ordinal   INTEGER NOT NULL,
    last_rejected   INTEGER NOT NULL,
    created_dataset INTEGER NOT NULL
);
CREATE TABLE metrics_v7 (
    run       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step      INTEGER NOT NULL,
    name      TEXT NOT NULL,
    value     REAL,
    wall_time REAL NOT NULL
);
INSERT INTO metrics_v7 (run, step, name, value, wall_time)
    SELECT run, step, name, value, wall_time FROM metrics;
DROP TABLE metrics;
ALTER TABLE metrics_v7 RENAME TO metrics;
CREATE UNIQUE INDEX metrics_by_series ON metrics (run, name, step);
)sql";

// Version 8: the Chat tab's thumbs up / down, one row per rated reply: the conversation before
// it (JSON messages), the reply, the checkpoint that wrote it with its settings, the rating,
// who rated and when. A regenerated reply is a row of its own. Pairs are built by grouping on
// the prompt in memory (core/eval/feedback_pairs.h), which reads every row anyway: no index.
constexpr std::string_view schemaVersion8 = R"sql(
CREATE TABLE feedback (
    id         INTEGER PRIMARY KEY,
    prompt     TEXT NOT NULL,
    reply      TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    settings   TEXT NOT NULL,
    rating     TEXT NOT NULL,
    rater      TEXT NOT NULL,
    rated      REAL NOT NULL
);
)sql";

constexpr std::array<Migration, 8> allMigrations{{
    {1, "datasets, documents, runs, metrics, checkpoints", schemaVersion1},
    {2, "rejected rows, tokenizers", schemaVersion2},
    {3, "splits, restorable quarantine, import reports", schemaVersion3},
    {4, "PPO / GRPO rollouts", schemaVersion4},
    {5, "comparison items, labels, arena battles", schemaVersion5},
    {6, "base models", schemaVersion6},
    {7, "run and import owners, NaN metrics", schemaVersion7},
    {8, "chat feedback (thumbs up / down)", schemaVersion8},
}};

// Element i must take version i to i + 1: migrate() indexes the table by version.
static_assert([] {
    for (size_t i = 0; i < allMigrations.size(); ++i) {
        if (allMigrations[i].version != static_cast<int>(i) + 1) return false;
    }
    return true;
}());

} // namespace

std::span<const Migration> migrations()
{
    return allMigrations;
}

int currentSchemaVersion()
{
    return allMigrations.back().version;
}

int schemaVersion(sqlite3* db)
{
    Statement query(db, "PRAGMA user_version");
    query.step();
    return static_cast<int>(query.columnInt64(0));
}

void migrate(sqlite3* db)
{
    // One transaction per step, the version read under the write lock: two processes opening
    // a new project at once cannot both apply the same migration.
    while (true) {
        Transaction transaction(db);
        const int found = schemaVersion(db);
        if (found > currentSchemaVersion()) {
            throw Error("schema version " + std::to_string(found) +
                        " is newer than this build supports (" +
                        std::to_string(currentSchemaVersion()) + ")");
        }
        if (found == currentSchemaVersion()) {
            transaction.commit();
            return;
        }
        const Migration& migration = allMigrations[static_cast<size_t>(found)];
        withContext("migrating to schema version " + std::to_string(migration.version) + " (" +
                        std::string(migration.summary) + ")",
                    [&] {
                        execute(db, migration.sql);
                        // PRAGMA takes no bound parameters; the version is our own integer.
                        execute(db, "PRAGMA user_version = " + std::to_string(migration.version));
                    });
        transaction.commit();
    }
}

} // namespace rlhf::store
