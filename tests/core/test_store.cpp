// The project database on real SQLite files: folder layout, schema and migrations (from an
// empty file, from a hand-made version 1 and from version 3), runs/metrics/checkpoints/tokenizers
// round trips, documents with splits, the searchable, restorable quarantine and PPO / GRPO
// rollouts. Importing files is test_importer.cpp.
#include "core/store/database.h"
#include "core/store/names.h"
#include "core/store/project.h"
#include "core/store/schema.h"
#include "core/util/error.h"
#include "tests/support/error_of.h"

#include <sqlite3.h>

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace rlhf::store;
namespace fs = std::filesystem;

using rlhf::testing::errorOf;

namespace {

// The message of the rlhf::Error that `body` throws, or "" when it does not throw.
// Runs raw SQL on a file through SQLite directly, bypassing Database.
void rawSql(const fs::path& file, const char* sql)
{
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    const int result = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    const QString error = message ? QString::fromUtf8(message) : QString();
    sqlite3_free(message);
    sqlite3_close(db);
    QVERIFY2(result == SQLITE_OK, qPrintable(error));
}

std::vector<std::string> texts(const Database& database, Id dataset)
{
    std::vector<std::string> result;
    database.forEachDocument(dataset, [&](const Document& d) { result.push_back(d.text); });
    return result;
}

// Version 1 of the schema as it shipped, written out by hand: the fixture that proves an old
// project still opens, independent of the migration code under test.
constexpr const char* schemaVersion1 = R"sql(
CREATE TABLE datasets (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    source_path TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE documents (id INTEGER PRIMARY KEY,
    dataset INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE, ordinal INTEGER NOT NULL,
    text TEXT NOT NULL, source_file TEXT NOT NULL, source_line INTEGER NOT NULL,
    UNIQUE (dataset, ordinal));
CREATE TABLE runs (id INTEGER PRIMARY KEY, stage TEXT NOT NULL, name TEXT NOT NULL,
    config TEXT NOT NULL, status TEXT NOT NULL, started REAL NOT NULL, ended REAL,
    parent INTEGER REFERENCES runs(id) ON DELETE SET NULL);
CREATE TABLE metrics (run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL, name TEXT NOT NULL, value REAL NOT NULL, wall_time REAL NOT NULL);
CREATE UNIQUE INDEX metrics_by_series ON metrics (run, name, step);
CREATE TABLE checkpoints (id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL,
    path TEXT NOT NULL, metrics TEXT NOT NULL, created REAL NOT NULL, UNIQUE (run, step));
INSERT INTO datasets VALUES (1, 'old', 'text', '/data/old.txt', 1700000000);
INSERT INTO documents VALUES (1, 1, 0, 'first', '/data/old.txt', 1);
INSERT INTO documents VALUES (2, 1, 1, 'second', '/data/old.txt', 2);
INSERT INTO runs VALUES (1, 'pretrain', 'old run', '{}', 'completed', 1700000000, 1700000100, NULL);
INSERT INTO metrics VALUES (1, 10, 'train/loss', 2.5, 1700000050);
PRAGMA user_version = 1;
)sql";

// A rollout of step `step` whose numbers all derive from `index`, so any mix-up shows.
Rollout sampleRollout(int64_t step, int64_t index)
{
    const double x = double(index);
    return Rollout{.step = step,
                   .index = index,
                   .prompt = "prompt " + std::to_string(index),
                   .response = "response " + std::to_string(step) + "/" + std::to_string(index),
                   .score = 1.5 + x,
                   .reward = 1.25 + x,
                   .kl = 0.25,
                   .trueScore = std::nullopt,
                   .tokenKl = {0.125, -0.5}};
}

} // namespace

class TestStore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void createAndReopenProject();
    void walModeAndForeignKeys();
    void migratesFromEmptyFile();
    void migratesFromVersion1();
    void refusesNewerSchema();
    void documentsRoundTrip();
    void runsRoundTrip();
    void metricsRoundTrip();
    void checkpointsAndTokenizers();
    void baseModels();
    void quarantineSearchAndRestore();
    void concurrentWriters();
    void rolloutsRoundTrip();
    void rolloutsReplaceTheirStep();
    void rolloutsGoWithTheirRun();
    void migratesFromVersion3();

private:
    QTemporaryDir m_dir;
    fs::path path(const char* name) const { return fs::path(m_dir.path().toStdString()) / name; }
};

void TestStore::createAndReopenProject()
{
    const fs::path root = path("project-a");
    {
        Project project = Project::create(root);
        QVERIFY(fs::is_regular_file(root / "project.sqlite"));
        for (const char* folder : {"checkpoints", "tokenizers", "tokens"}) {
            QVERIFY2(fs::is_directory(root / folder), folder);
        }
        QCOMPARE(project.database().schemaVersion(), currentSchemaVersion());
        project.database().addDataset("shakespeare", DatasetKind::Text, "/data/s.txt");
    }
    QVERIFY(errorOf([&] { Project::create(root); }).contains("already holds a project"));

    fs::remove_all(root / "tokens"); // a missing subfolder is restored on open
    Project project = Project::open(root);
    QVERIFY(fs::is_directory(root / "tokens"));
    const std::vector<Dataset> datasets = project.database().datasets();
    QCOMPARE(datasets.size(), size_t(1));
    QCOMPARE(datasets[0].name, std::string("shakespeare"));
    QCOMPARE(datasets[0].kind, DatasetKind::Text);
    QCOMPARE(datasets[0].sourcePath, std::string("/data/s.txt"));
    QVERIFY(datasets[0].created > 1.6e9);

    const ProjectPaths& paths = project.paths();
    // Names a file cannot hold as they are get a hash: "shake speare" and "shake_speare" differ.
    QCOMPARE(paths.tokenFile("shake_speare", "bpe-8k", TokenSplit::Validation),
             root / "tokens" / "shake_speare-bpe-8k-val.u32");
    QCOMPARE(paths.tokenFile("shake speare", "bpe/8k", TokenSplit::Validation),
             root / "tokens" /
                 (fileNameOf("shake speare") + "-" + fileNameOf("bpe/8k") + "-val.u32"));
    QVERIFY(paths.tokenFile("shake speare", "bpe-8k", TokenSplit::Train) !=
            paths.tokenFile("shake_speare", "bpe-8k", TokenSplit::Train));
    QCOMPARE(paths.relative(paths.checkpointFolder(3, 400)),
             std::string("checkpoints/run-3/step-000400"));
    QCOMPARE(paths.absolute("checkpoints/run-3/step-000400"), paths.checkpointFolder(3, 400));

    const QString missing = errorOf([&] { Project::open(path("nowhere")); });
    QVERIFY2(missing.contains("not a project folder"), qPrintable(missing));
}

void TestStore::walModeAndForeignKeys()
{
    const fs::path file = path("wal.sqlite");
    Database database(file);
    QCOMPARE(database.journalMode(), std::string("wal"));
    database.addDataset("d", DatasetKind::Chat, "x.jsonl");
    QVERIFY2(fs::exists(path("wal.sqlite-wal")), "a write in WAL mode creates the -wal file");

    // WAL is a property of the file: a second connection sees it too.
    Database second(file, OpenMode::ExistingOnly);
    QCOMPARE(second.journalMode(), std::string("wal"));
    QCOMPARE(second.datasets().size(), size_t(1));

    const QString error = errorOf([&] { database.addDocuments(42, std::vector<Document>(1)); });
    QVERIFY2(error.contains("FOREIGN KEY constraint failed"), qPrintable(error));
    QVERIFY2(error.startsWith(QString::fromStdString(file.string())), qPrintable(error));
    QVERIFY(errorOf([&] {
                Database(path("absent.sqlite"), OpenMode::ExistingOnly);
            }).contains("no such file"));
}

void TestStore::migratesFromEmptyFile()
{
    const fs::path file = path("v0.sqlite");
    rawSql(file, "PRAGMA user_version = 0");
    Database database(file, OpenMode::ExistingOnly);
    QCOMPARE(database.schemaVersion(), currentSchemaVersion());
    QCOMPARE(int(migrations().size()), currentSchemaVersion());
    for (size_t i = 0; i < migrations().size(); ++i)
        QCOMPARE(migrations()[i].version, int(i) + 1);

    const Id dataset = database.addDataset("d", DatasetKind::Text, "f");
    database.addRejected(
        dataset, std::vector<RejectedRow>{{.sourceFile = "f", .sourceLine = 3, .reason = "why"}});
    QCOMPARE(database.rejectedCount(dataset), int64_t(1));
    database.addTokenizer("t", "tokenizers/t.json", 256);
    QVERIFY(database.tokenizer("t"));
}

void TestStore::migratesFromVersion1()
{
    const fs::path file = path("v1.sqlite");
    rawSql(file, schemaVersion1);
    Database database(file, OpenMode::ExistingOnly);
    QCOMPARE(database.schemaVersion(), 8);
    QCOMPARE(database.schemaVersion(), currentSchemaVersion());

    const std::optional<Dataset> old = database.datasetByName("old");
    QVERIFY(old);
    QCOMPARE(texts(database, old->id), (std::vector<std::string>{"first", "second"}));
    const std::optional<Run> run = database.run(1);
    QVERIFY(run);
    QCOMPARE(run->status, RunStatus::Completed);
    QCOMPARE(run->ended.value_or(0), 1700000100.0);
    QCOMPARE(database.metricSeries(1, "train/loss").size(), size_t(1)); // kept by version 7

    // The tables version 2 added work on the migrated file.
    database.addRejected(
        old->id, std::vector<RejectedRow>{
                     {.sourceFile = "f", .sourceLine = 7, .field = "text", .reason = "blank"}});
    QCOMPARE(database.rejectedRows(old->id).at(0).sourceLine, int64_t(7));
    database.addTokenizer("bpe", "tokenizers/bpe.json", 512);
    QCOMPARE(database.tokenizer("bpe")->vocabSize, int64_t(512));
    database.addDocuments(old->id, std::vector<Document>{{0, "third", "new.txt", 1}});
    QCOMPARE(database.documents(old->id, 2, 10).at(0).ordinal, int64_t(2));
    // Version 3: documents from before splits existed are training documents.
    QCOMPARE(database.documentCount(old->id, "train"), int64_t(3));
    QCOMPARE(database.datasetByName("old")->reportJson, std::string("{}"));
}

void TestStore::quarantineSearchAndRestore()
{
    Database database(path("quarantine.sqlite"));
    const Id dataset = database.addDataset("q", DatasetKind::Text, "in.jsonl");
    const std::vector<Document> kept{{.text = "kept", .sourceFile = "in.jsonl", .sourceLine = 1},
                                     {.text = "held out", .sourceLine = 2, .split = "val"}};
    const std::vector<RejectedRow> removed{
        {.step = "read",
         .sourceFile = "in.jsonl",
         .sourceLine = 3,
         .field = "text",
         .reason = "invalid JSON: unclosed string",
         .raw = "{\"text\": \"Kep"},
        {.step = "exact_dedup",
         .sourceFile = "in.jsonl",
         .sourceLine = 4,
         .reason = "duplicate of document 0",
         .raw = "{\"text\": \"KEPT\"}",
         .duplicateOf = 0,
         .document = "KEPT"},
        {.step = "language",
         .sourceFile = "other.jsonl",
         .sourceLine = 9,
         .reason = "language fr (0.97) not in [en]",
         .document = "Bonjour",
         .split = "test"},
    };
    database.addImportBatch(dataset, kept, removed);
    QCOMPARE(database.documentCount(dataset), int64_t(2));
    QCOMPARE(database.documentCount(dataset, "val"), int64_t(1));
    QCOMPARE(database.rejectedCount(dataset), int64_t(3));

    // Search: by text anywhere (case-insensitive), by step, both.
    QCOMPARE(database.countRejected(dataset, {.text = "kep"}), int64_t(2)); // raw of both rows
    QCOMPARE(database.countRejected(dataset, {.text = "OTHER.JSONL"}), int64_t(1));
    QCOMPARE(database.countRejected(dataset, {.step = "exact_dedup"}), int64_t(1));
    QCOMPARE(database.countRejected(dataset, {.text = "fr", .step = "read"}), int64_t(0));
    const auto page = database.searchRejected(dataset, {}, 1, 1);
    QCOMPARE(page.size(), size_t(1));
    QCOMPARE(page[0].step, std::string("exact_dedup"));
    QCOMPARE(page[0].duplicateOf.value_or(-1), int64_t(0));
    QCOMPARE(page[0].document.value_or(""), std::string("KEPT"));

    // Restore: appends the document in its split, marks the row, refuses twice.
    const auto rows = database.rejectedRows(dataset);
    QCOMPARE(database.restoreRejected(rows[2].id), int64_t(2));
    const Document restored = database.documents(dataset, 2, 1).at(0);
    QCOMPARE(restored.text, std::string("Bonjour"));
    QCOMPARE(restored.split, std::string("test"));
    QCOMPARE(restored.sourceFile, std::string("other.jsonl"));
    QCOMPARE(database.rejectedRows(dataset)[2].restoredAs.value_or(-1), int64_t(2));
    QCOMPARE(database.countRejected(dataset, {.includeRestored = false}), int64_t(2));
    QVERIFY(errorOf([&] { database.restoreRejected(rows[2].id); }).contains("already restored"));
    // A read problem has no document to restore: the message says what to do instead.
    const QString unreadable = errorOf([&] { database.restoreRejected(rows[0].id); });
    QVERIFY2(unreadable.contains("in.jsonl:3"), qPrintable(unreadable));
    QCOMPARE(database.documentCount(dataset), int64_t(3));

    database.setDatasetReport(dataset, R"({"imported": 2})");
    QCOMPARE(database.dataset(dataset)->reportJson, std::string(R"({"imported": 2})"));
}

void TestStore::refusesNewerSchema()
{
    const fs::path file = path("future.sqlite");
    rawSql(file, "PRAGMA user_version = 99");
    const QString error = errorOf([&] { Database database(file); });
    const QString expected = QString("schema version 99 is newer than this build supports (%1)")
                                 .arg(currentSchemaVersion());
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestStore::documentsRoundTrip()
{
    Database database(path("documents.sqlite"));
    const Id dataset = database.addDataset("docs", DatasetKind::Text, "in.txt");
    const Id other = database.addDataset("other", DatasetKind::Preference, "p.jsonl");
    QVERIFY(errorOf([&] {
                database.addDataset("docs", DatasetKind::Text, "x");
            }).contains("already exists"));

    database.addDocuments(dataset,
                          std::vector<Document>{{0, "a", "in.txt", 1}, {0, "b", "in.txt", 2}});
    database.addDocuments(other, std::vector<Document>{{0, "elsewhere", "p.jsonl", 1}});
    database.addDocuments(dataset, std::vector<Document>{{0, "c\nd", "in.txt", 4}});
    QCOMPARE(database.documentCount(dataset), int64_t(3));
    QCOMPARE(texts(database, dataset), (std::vector<std::string>{"a", "b", "c\nd"}));

    const std::vector<Document> page = database.documents(dataset, 1, 5);
    QCOMPARE(page.size(), size_t(2));
    QCOMPARE(page[1].ordinal, int64_t(2));
    QCOMPARE(page[1].sourceLine, int64_t(4));
    QCOMPARE(page[1].sourceFile, std::string("in.txt"));
    QCOMPARE(database.dataset(other)->kind, DatasetKind::Preference);
    QVERIFY(!database.dataset(99));
}

void TestStore::runsRoundTrip()
{
    Database database(path("runs.sqlite"));
    const Id first = database.createRun(RunStage::Pretrain, "base", R"({"lr": 0.0003})");
    const Id second = database.createRun(RunStage::Sft, "chat", "{}", first);
    QVERIFY(errorOf([&] {
                database.createRun(RunStage::Ppo, "bad", "{lr:");
            }).contains("the run config is not valid JSON"));

    database.updateRunStatus(first, RunStatus::Paused);
    QCOMPARE(database.run(first)->status, RunStatus::Paused);
    QVERIFY(!database.run(first)->ended);
    database.finishRun(first, RunStatus::Completed);
    database.finishRun(second, RunStatus::Failed);
    QVERIFY(errorOf([&] {
                database.updateRunStatus(first, RunStatus::Stopped);
            }).contains("use finishRun"));
    QVERIFY(errorOf([&] {
                database.finishRun(first, RunStatus::Running);
            }).contains("not a final status"));
    QVERIFY(
        errorOf([&] { database.updateRunStatus(77, RunStatus::Running); }).contains("no run 77"));

    const std::vector<Run> runs = database.runs();
    QCOMPARE(runs.size(), size_t(2));
    QCOMPARE(runs[0].name, std::string("base"));
    QCOMPARE(runs[0].configJson, std::string(R"({"lr": 0.0003})"));
    QCOMPARE(runs[0].stage, RunStage::Pretrain);
    QCOMPARE(runs[0].status, RunStatus::Completed);
    QVERIFY(runs[0].ended.value_or(0) >= runs[0].started);
    QCOMPARE(runs[1].stage, RunStage::Sft);
    QCOMPARE(runs[1].status, RunStatus::Failed);
    QCOMPARE(runs[1].parent, std::optional<Id>(first));
    QVERIFY(!runs[0].parent);
}

void TestStore::metricsRoundTrip()
{
    Database database(path("metrics.sqlite"));
    const Id run = database.createRun(RunStage::Reward, "rm", "{}");
    database.appendMetrics(run, std::vector<MetricPoint>{
                                    {20, "train/loss", 1.5, 100.0},
                                    {10, "train/loss", 2.0, 90.0},
                                    {10, "val/accuracy", 0.6, 90.0},
                                });
    // A resumed run repeats step 20: the new value replaces the old one.
    database.appendMetrics(
        run, std::vector<MetricPoint>{{20, "train/loss", 1.25}, {30, "train/loss", 1.0}});

    const std::vector<MetricSample> loss = database.metricSeries(run, "train/loss");
    QCOMPARE(loss.size(), size_t(3));
    QCOMPARE(loss[0].step, int64_t(10));
    QCOMPARE(loss[0].value, 2.0);
    QCOMPARE(loss[1].step, int64_t(20));
    QCOMPARE(loss[1].value, 1.25);
    QCOMPARE(loss[2].step, int64_t(30));
    QCOMPARE(database.metricNames(run), (std::vector<std::string>{"train/loss", "val/accuracy"}));
    QVERIFY(database.metricSeries(run, "missing").empty());
    QVERIFY(errorOf([&] {
                database.appendMetrics(run + 1, std::vector<MetricPoint>{{1, "x", 1}});
            }).contains("FOREIGN KEY"));
}

void TestStore::checkpointsAndTokenizers()
{
    Database database(path("checkpoints.sqlite"));
    const Id run = database.createRun(RunStage::Dpo, "dpo", "{}");
    QVERIFY(!database.latestCheckpoint(run));
    database.addCheckpoint(run, 400, "checkpoints/run-1/step-400", R"({"val/loss": 2.5})");
    database.addCheckpoint(run, 200, "checkpoints/run-1/step-200");
    const Id again =
        database.addCheckpoint(run, 400, "checkpoints/run-1/step-400b", R"({"val/loss": 2.4})");

    const std::vector<Checkpoint> all = database.checkpoints(run);
    QCOMPARE(all.size(), size_t(2));
    QCOMPARE(all[0].step, int64_t(200));
    QCOMPARE(all[0].metricsJson, std::string("{}"));
    const std::optional<Checkpoint> latest = database.latestCheckpoint(run);
    QVERIFY(latest);
    QCOMPARE(latest->id, again);
    QCOMPARE(latest->path, std::string("checkpoints/run-1/step-400b"));
    QCOMPARE(latest->metricsJson, std::string(R"({"val/loss": 2.4})"));
    QCOMPARE(latest->run, run);
    const std::optional<Checkpoint> at = database.checkpointAt("checkpoints/run-1/step-200");
    QVERIFY(at);
    QCOMPARE(at->run, run);
    QCOMPARE(at->step, int64_t(200));
    QVERIFY(!database.checkpointAt("checkpoints/run-1/step-400")); // replaced by step-400b
    QVERIFY(errorOf([&] {
                database.addCheckpoint(run, 1, "p", "not json");
            }).contains("not valid JSON"));

    database.addTokenizer("bpe-8k", "tokenizers/bpe-8k.json", 8192);
    database.addTokenizer("bpe-1k", "tokenizers/bpe-1k.json", 1024);
    QVERIFY(errorOf([&] { database.addTokenizer("bpe-8k", "x", 1); }).contains("already exists"));
    QCOMPARE(database.tokenizer("bpe-8k")->path, std::string("tokenizers/bpe-8k.json"));
    QCOMPARE(database.tokenizer("bpe-8k")->vocabSize, int64_t(8192));
    QVERIFY(!database.tokenizer("none"));
    QCOMPARE(database.tokenizers().size(), size_t(2));
    QCOMPARE(database.tokenizers()[1].name, std::string("bpe-1k"));
}

// Base models: added Hugging Face folders, unique by name, listed in the order added.
void TestStore::baseModels()
{
    Database database(path("models.sqlite"));
    QVERIFY(database.models().empty());
    BaseModel qwen;
    qwen.name = "Qwen2.5-0.5B";
    qwen.path = "/models/qwen";
    qwen.family = "qwen2";
    qwen.parameters = 494'032'768;
    const Id id = database.addModel(qwen);
    BaseModel inside = qwen;
    inside.name = "mine";
    inside.path = "models/mine";
    database.addModel(inside);
    QVERIFY(errorOf([&] { database.addModel(qwen); }).contains("already exists"));
    BaseModel unnamed = qwen;
    unnamed.name.clear();
    QVERIFY(errorOf([&] { database.addModel(unnamed); }).contains("model name '': is empty"));

    const auto found = database.model("Qwen2.5-0.5B");
    QVERIFY(found);
    QCOMPARE(found->id, id);
    QCOMPARE(found->path, std::string("/models/qwen"));
    QCOMPARE(found->family, std::string("qwen2"));
    QCOMPARE(found->parameters, int64_t(494'032'768));
    QVERIFY(found->created > 0);
    QVERIFY(!database.model("none"));
    QCOMPARE(database.models().size(), size_t(2));
    QCOMPARE(database.models()[1].name, std::string("mine"));
}

void TestStore::concurrentWriters()
{
    const fs::path file = path("concurrent.sqlite");
    const Id run = Database(file).createRun(RunStage::Pretrain, "ddp", "{}");
    constexpr int writers = 4;
    constexpr int batches = 50;
    std::vector<std::thread> threads;
    std::vector<std::string> errors(writers);
    for (int rank = 0; rank < writers; ++rank) {
        threads.emplace_back([&, rank] {
            try {
                Database database(file, OpenMode::ExistingOnly);
                const std::string name = "rank" + std::to_string(rank) + "/loss";
                for (int step = 0; step < batches; ++step) {
                    database.appendMetrics(
                        run, std::vector<MetricPoint>{{step, name, 1.0 / (step + 1)}});
                    database.documentCount(1); // readers run beside the writers
                }
            } catch (const std::exception& error) {
                errors[size_t(rank)] = error.what();
            }
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    Database database(file, OpenMode::ExistingOnly);
    for (int rank = 0; rank < writers; ++rank) {
        QVERIFY2(errors[size_t(rank)].empty(), errors[size_t(rank)].c_str());
        const std::string name = "rank" + std::to_string(rank) + "/loss";
        QCOMPARE(database.metricSeries(run, name).size(), size_t(batches));
    }
}

void TestStore::rolloutsRoundTrip()
{
    Database database(path("rollouts.sqlite"));
    const Id run = database.createRun(RunStage::Grpo, "grpo", "{}");
    std::vector<Rollout> batch{sampleRollout(3, 0), sampleRollout(3, 1), sampleRollout(3, 2)};
    batch[1].trueScore = 1.0;
    batch[1].prompt = "What is 2+3?\nAnswer: \"5\"";
    batch[2].trueScore = 0.0;
    batch[2].tokenKl = {};                   // an empty response
    batch[0].tokenKl = {0.1, 3.0e-5, 14.75}; // 0.1 and 3e-5 are not exact in float32
    std::swap(batch[0], batch[2]);           // stored by index, not by arrival
    database.addRollouts(run, 3, batch);

    const std::vector<Rollout> stored = database.rollouts(run, 3);
    QCOMPARE(stored.size(), size_t(3));
    for (int64_t i = 0; i < 3; ++i) {
        QCOMPARE(stored[size_t(i)].index, i);
        QCOMPARE(stored[size_t(i)].step, int64_t(3));
        QCOMPARE(stored[size_t(i)].score, 1.5 + double(i));
        QCOMPARE(stored[size_t(i)].reward, 1.25 + double(i));
        QCOMPARE(stored[size_t(i)].kl, 0.25);
    }
    QCOMPARE(stored[0].prompt, std::string("prompt 0"));
    QCOMPARE(stored[0].response, std::string("response 3/0"));
    QCOMPARE(stored[1].prompt, std::string("What is 2+3?\nAnswer: \"5\""));
    QVERIFY(!stored[0].trueScore);
    QCOMPARE(stored[1].trueScore, std::optional<double>(1.0));
    QCOMPARE(stored[2].trueScore, std::optional<double>(0.0)); // zero is not "absent"
    // float32 storage: exact for dyadic values, rounded to float for the others.
    QCOMPARE(stored[0].tokenKl, (std::vector<double>{double(0.1f), double(3.0e-5f), 14.75}));
    QVERIFY(stored[0].tokenKl[0] != 0.1);
    QCOMPARE(stored[1].tokenKl, (std::vector<double>{0.125, -0.5}));
    QVERIFY(stored[2].tokenKl.empty());

    QVERIFY(database.rollouts(run, 4).empty());
    QVERIFY(database.rollouts(run + 1, 3).empty());
    QVERIFY(errorOf([&] {
                database.addRollouts(run + 1, 1, std::vector<Rollout>{sampleRollout(1, 0)});
            }).contains("FOREIGN KEY"));
    // A failed replacement is all or nothing: the step keeps its old rows.
    QVERIFY(errorOf([&] {
                database.addRollouts(
                    run, 3, std::vector<Rollout>{sampleRollout(3, 0), sampleRollout(3, 0)});
            }).contains("UNIQUE"));
    QCOMPARE(database.rollouts(run, 3).size(), size_t(3));
    QCOMPARE(database.rollouts(run, 3)[1].prompt, stored[1].prompt);
}

void TestStore::rolloutsReplaceTheirStep()
{
    Database database(path("rollouts-replace.sqlite"));
    const Id run = database.createRun(RunStage::Ppo, "ppo", "{}");
    const Id other = database.createRun(RunStage::Ppo, "other", "{}");
    database.addRollouts(
        run, 20,
        std::vector<Rollout>{sampleRollout(20, 0), sampleRollout(20, 1), sampleRollout(20, 2)});
    database.addRollouts(run, 10, std::vector<Rollout>{sampleRollout(10, 0)});
    database.addRollouts(run, 5, std::vector<Rollout>{sampleRollout(99, 0)});
    QCOMPARE(database.rollouts(run, 5).at(0).step, int64_t(5)); // the argument, not the row's
    database.addRollouts(other, 7, std::vector<Rollout>{sampleRollout(7, 0)});
    QCOMPARE(database.rolloutSteps(run), (std::vector<int64_t>{5, 10, 20}));
    QCOMPARE(database.rolloutSteps(other), (std::vector<int64_t>{7}));

    // The resumed run samples step 20 again with a smaller batch: no row of the first try stays.
    Rollout again = sampleRollout(20, 1);
    again.response = "second try";
    database.addRollouts(run, 20, std::vector<Rollout>{again});
    const std::vector<Rollout> step20 = database.rollouts(run, 20);
    QCOMPARE(step20.size(), size_t(1));
    QCOMPARE(step20[0].index, int64_t(1));
    QCOMPARE(step20[0].response, std::string("second try"));
    QCOMPARE(database.rollouts(run, 10).size(), size_t(1)); // other steps untouched
    QCOMPARE(database.rollouts(other, 7).size(), size_t(1));

    // An empty batch clears the step, which then no longer lists.
    database.addRollouts(run, 10, std::vector<Rollout>{});
    QCOMPARE(database.rolloutSteps(run), (std::vector<int64_t>{5, 20}));
    QVERIFY(database.rolloutSteps(other + 1).empty());
}

void TestStore::rolloutsGoWithTheirRun()
{
    // Database has no way to delete a run yet; delete it with SQL, as a later "delete run"
    // would, and check that the schema's cascade takes the rollouts along.
    const fs::path file = path("rollouts-cascade.sqlite");
    Id doomed = 0;
    Id kept = 0;
    {
        Database database(file);
        doomed = database.createRun(RunStage::Grpo, "doomed", "{}");
        kept = database.createRun(RunStage::Grpo, "kept", "{}");
        database.addRollouts(doomed, 1, std::vector<Rollout>{sampleRollout(1, 0)});
        database.addRollouts(kept, 1, std::vector<Rollout>{sampleRollout(1, 0)});
    }
    // Without the cascade, this DELETE would fail the foreign key and rawSql would fail the test.
    rawSql(file, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE name = 'doomed'");
    Database database(file, OpenMode::ExistingOnly);
    QCOMPARE(database.runs().size(), size_t(1));
    QVERIFY(database.rollouts(doomed, 1).empty());
    QVERIFY(database.rolloutSteps(doomed).empty());
    QCOMPARE(database.rollouts(kept, 1).size(), size_t(1));
}

void TestStore::migratesFromVersion3()
{
    // A version 3 file made by this build's own first three migrations, with a run in it.
    const fs::path file = path("v3.sqlite");
    std::string script;
    for (const Migration& migration : migrations().first(3))
        script += std::string(migration.sql) + ";\n";
    script += "INSERT INTO runs VALUES (1, 'ppo', 'old ppo', '{}', 'stopped', 1700000000, "
              "1700000100, NULL);\n"
              "PRAGMA user_version = 3;";
    rawSql(file, script.c_str());

    Database database(file, OpenMode::ExistingOnly);
    QCOMPARE(database.schemaVersion(), 8);
    QCOMPARE(database.run(1)->name, std::string("old ppo"));
    QCOMPARE(database.run(1)->owner, std::string()); // recorded before owners were kept
    QVERIFY(database.rolloutSteps(1).empty());
    Rollout rollout = sampleRollout(40, 0);
    rollout.trueScore = 0.5;
    database.addRollouts(1, 40, std::vector<Rollout>{rollout});
    const std::vector<Rollout> stored = database.rollouts(1, 40);
    QCOMPARE(stored.size(), size_t(1));
    QCOMPARE(stored[0].trueScore, std::optional<double>(0.5));
    QCOMPARE(stored[0].tokenKl, (std::vector<double>{0.125, -0.5}));
    QVERIFY(database.models().empty()); // version 6's table, empty in an old project
}

QTEST_GUILESS_MAIN(TestStore)
#include "test_store.moc"
