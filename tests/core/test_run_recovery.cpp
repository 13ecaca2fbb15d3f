// Opening a project settles what crashed runs left behind (store/run_recovery.h): a run whose
// process is gone is marked interrupted, its half-written checkpoint folders are removed and the
// published ones it did not record yet are recorded; runs still training, here or on another
// machine, are left exactly as they are. A project folder that is not writable opens read-only.
#include "core/store/process_tag.h"
#include "core/store/project.h"
#include "core/util/json_file.h"

#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace rlhf;
using store::RunStatus;

namespace {

// This process's tag with one field replaced (0 host, 1 boot id, 2 pid, 3 start time).
std::string tagWith(int field, const std::string& value)
{
    std::istringstream in(store::thisProcessTag());
    std::string parts[4];
    for (auto& part : parts)
        in >> part;
    parts[field] = value;
    return parts[0] + " " + parts[1] + " " + parts[2] + " " + parts[3];
}

void setOwner(const fs::path& root, store::Id run, const char* owner,
              const char* sql = "UPDATE runs SET owner = ? WHERE id = ?")
{
    sqlite3* db = nullptr;
    QCOMPARE(sqlite3_open((root / "project.sqlite").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* update = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &update, nullptr);
    if (owner)
        sqlite3_bind_text(update, 1, owner, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(update, 1);
    sqlite3_bind_int64(update, 2, run);
    QCOMPARE(sqlite3_step(update), SQLITE_DONE);
    sqlite3_finalize(update);
    sqlite3_close(db);
}

// A published checkpoint folder as the trainer leaves it (the weights do not matter here).
void writeCheckpointFolder(const fs::path& folder, int64_t step)
{
    fs::create_directories(folder);
    writeJsonFile(folder / "trainer_state.json", {{"step", step}, {"config", {}}});
    std::ofstream(folder / "model.safetensors") << "weights";
}

int status(const store::Project& project, store::Id run)
{
    return int(project.database().run(run)->status);
}

} // namespace

class TestRunRecovery : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void processTagsTellAliveFromGone()
    {
        QCOMPARE(int(store::processState(store::thisProcessTag())),
                 int(store::ProcessState::Alive));
        // The same pid started at another time: the pid was reused after this process ended.
        QCOMPARE(int(store::processState(tagWith(3, "1"))), int(store::ProcessState::Gone));
        QCOMPARE(int(store::processState(tagWith(2, "999999999"))), int(store::ProcessState::Gone));
        QCOMPARE(int(store::processState(tagWith(1, "another-boot"))),
                 int(store::ProcessState::Gone));
        QCOMPARE(int(store::processState(tagWith(0, "another-host"))),
                 int(store::ProcessState::Unknown));
        QCOMPARE(int(store::processState("")), int(store::ProcessState::Gone));
    }

    void runsWhoseProcessIsGoneAreInterrupted()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        store::Id killed = 0, legacy = 0, remote = 0, live = 0, done = 0;
        double heardOf = 0;
        {
            auto project = store::Project::create(root);
            auto& database = project.database();
            killed = database.createRun(store::RunStage::Pretrain, "killed", "{}");
            heardOf = database.run(killed)->started + 42;
            database.appendMetrics(
                killed, std::vector<store::MetricPoint>{
                            {.step = 1, .name = "train/loss", .value = 3.0, .wallTime = heardOf}});
            legacy = database.createRun(store::RunStage::Sft, "legacy", "{}");
            remote = database.createRun(store::RunStage::Sft, "remote", "{}");
            live = database.createRun(store::RunStage::Sft, "live", "{}");
            done = database.createRun(store::RunStage::Sft, "done", "{}");
            database.finishRun(done, RunStatus::Completed);
        }
        setOwner(root, killed, tagWith(1, "a-boot-before-the-power-cut").c_str());
        setOwner(root, legacy, nullptr); // recorded before owners were kept
        setOwner(root, remote, tagWith(0, "another-machine").c_str());

        const auto project = store::Project::open(root);
        QCOMPARE(project.recovery().interrupted, (std::vector<store::Id>{killed, legacy}));
        QCOMPARE(status(project, killed), int(RunStatus::Interrupted));
        QCOMPARE(status(project, legacy), int(RunStatus::Interrupted));
        QCOMPARE(status(project, remote), int(RunStatus::Running));
        QCOMPARE(status(project, live), int(RunStatus::Running)); // this process: alive
        QCOMPARE(status(project, done), int(RunStatus::Completed));
        QCOMPARE(*project.database().run(killed)->ended, heardOf); // when it was last heard of
        QCOMPARE(project.recovery().lines().front(),
                 "run 1 was interrupted (its process is gone): marked 'interrupted'");
        // Settled once: the next open finds nothing more to do.
        QVERIFY(store::Project::open(root).recovery().empty());
    }

    void checkpointsAreSettledForGoneRunsOnly()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        store::Id killed = 0, live = 0;
        {
            auto project = store::Project::create(root);
            auto& database = project.database();
            killed = database.createRun(store::RunStage::Pretrain, "killed", "{}");
            live = database.createRun(store::RunStage::Pretrain, "live", "{}");
            for (int64_t step : {1, 2, 3})
                database.appendMetrics(
                    killed, std::vector<store::MetricPoint>{
                                {.step = step, .name = "train/loss", .value = 4.0 - double(step)}});
            const auto paths = project.paths();
            writeCheckpointFolder(paths.checkpointFolder(killed, 1), 1);
            database.addCheckpoint(killed, 1, paths.relative(paths.checkpointFolder(killed, 1)));
            // Killed after publishing step 2 and before recording it, then while writing step 3.
            writeCheckpointFolder(paths.checkpointFolder(killed, 2), 2);
            writeCheckpointFolder(paths.checkpointFolder(killed, 3).string() + ".tmp", 3);
            // A run still training: its folder is its own business.
            writeCheckpointFolder(paths.checkpointFolder(live, 5).string() + ".tmp", 5);
            writeCheckpointFolder(paths.checkpointFolder(live, 4), 4);
        }
        setOwner(root, killed, tagWith(3, "1").c_str());

        const auto project = store::Project::open(root);
        const auto& paths = project.paths();
        QCOMPARE(project.recovery().removedPartial,
                 (std::vector<fs::path>{paths.checkpointFolder(killed, 3).string() + ".tmp"}));
        QCOMPARE(project.recovery().adoptedCheckpoints,
                 (std::vector<std::pair<store::Id, int64_t>>{{killed, 2}}));
        QVERIFY(!fs::exists(paths.checkpointFolder(killed, 3).string() + ".tmp"));
        const auto latest = project.database().latestCheckpoint(killed);
        QVERIFY(latest);
        QCOMPARE(latest->step, int64_t(2));
        QCOMPARE(latest->path, std::string("checkpoints/run-1/step-000002"));
        QCOMPARE(nlohmann::json::parse(latest->metricsJson)["train/loss"].get<double>(), 2.0);
        QCOMPARE(status(project, killed), int(RunStatus::Interrupted));

        QVERIFY(fs::exists(paths.checkpointFolder(live, 5).string() + ".tmp"));
        QVERIFY(project.database().checkpoints(live).empty());
        QCOMPARE(status(project, live), int(RunStatus::Running));
    }

    void cutImportsAreUndone()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        store::Id created = 0, appended = 0, live = 0;
        auto documents = [](int count, const std::string& prefix) {
            std::vector<store::Document> result(size_t(count), store::Document{});
            for (int i = 0; i < count; ++i)
                result[size_t(i)].text = prefix + std::to_string(i);
            return result;
        };
        {
            auto project = store::Project::create(root);
            auto& database = project.database();
            // Killed while creating a dataset, and while appending to one that held 2 documents.
            created = database.addDataset("new", store::DatasetKind::Text, "a.txt");
            database.markImportStarted(created, 0, 0, true);
            database.addDocuments(created, documents(3, "a"));
            appended = database.addDataset("old", store::DatasetKind::Text, "b.txt");
            database.addDocuments(appended, documents(2, "b"));
            database.markImportStarted(appended, 2, database.lastRejectedId(appended), false);
            database.addDocuments(appended, documents(3, "c"));
            // An import still going, in this process.
            live = database.addDataset("busy", store::DatasetKind::Text, "c.txt");
            database.markImportStarted(live, 0, 0, true);
            database.addDocuments(live, documents(1, "d"));
            QVERIFY_THROWS_EXCEPTION(std::exception,
                                     database.markImportStarted(live, 1, 0, false)); // one at once
        }
        const char* sql = "UPDATE imports_under_way SET owner = ? WHERE dataset = ?";
        setOwner(root, created, tagWith(3, "1").c_str(), sql);
        setOwner(root, appended, tagWith(1, "rebooted").c_str(), sql);

        const auto project = store::Project::open(root);
        const auto& database = project.database();
        QVERIFY(!database.dataset(created));
        QCOMPARE(database.documentCount(appended), int64_t(2));
        QCOMPARE(database.documentCount(live), int64_t(1));
        QCOMPARE(database.importsUnderWay().size(), size_t(1));
        QCOMPARE(project.recovery().lines(),
                 (std::vector<std::string>{
                     "an import into dataset 'new' was cut off (its process is gone): the "
                     "dataset it was creating was removed",
                     "an import into dataset 'old' was cut off (its process is gone): the rows "
                     "it had written were taken out"}));
    }

    void nanMetricsAreStoredAsNan()
    {
        QTemporaryDir dir;
        auto project = store::Project::create(dir.path().toStdString());
        auto& database = project.database();
        const auto run = database.createRun(store::RunStage::Pretrain, "diverged", "{}");
        const double nan = std::nan(""), inf = HUGE_VAL;
        database.appendMetrics(
            run, std::vector<store::MetricPoint>{{.step = 1, .name = "train/loss", .value = 2.5},
                                                 {.step = 2, .name = "train/loss", .value = nan},
                                                 {.step = 3, .name = "train/loss", .value = inf}});
        const auto series = database.metricSeries(run, "train/loss");
        QCOMPARE(series.size(), size_t(3));
        QCOMPARE(series[0].value, 2.5);
        QVERIFY(std::isnan(series[1].value));
        QVERIFY(std::isinf(series[2].value));
    }
};

QTEST_GUILESS_MAIN(TestRunRecovery)
#include "test_run_recovery.moc"
