// Fault injection on real `rlhf train` processes: kill -9 and SIGTERM at random points (seeded)
// of a pretraining run, resumed each time until it completes, must end bit-identical to a run
// never interrupted, with every checkpoint on disk recorded and no half-written one left; a NaN
// gradient at a chosen step is skipped leaving the weights untouched; a run that diverges stops
// naming the step and its last good checkpoint; a disk that fills up during a checkpoint save
// (a small tmpfs, or a file-size limit where mounting is not allowed) leaves the previous
// checkpoint intact and loadable and reports the write error, not a follow-on one.
#include "core/model/checkpoint.h"
#include "core/model/tensor_io.h"
#include "core/model/transformer.h"
#include "core/store/project.h"
#include "core/text/bpe_trainer.h"
#include "core/text/tokenizer_json.h"
#include "core/util/json_file.h"
#include "tests/support/tiny_pretrain_document.h"

#include <ATen/ATen.h>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/mount.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <random>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace rlhf;
using store::RunStatus;

namespace {

constexpr int totalSteps = 40;
// The kill tests' model: wide enough that a step and its checkpoint take milliseconds, so that
// a signal sent after a step's line lands while the run is still going.
const nlohmann::json killedModel = {{"model", {{"dim", 128}, {"layers", 2}, {"heads", 4}}}};

QString pathArg(const fs::path& path)
{
    return QString::fromStdString(path.string());
}

struct Finished {
    int code = -1;
    bool crashed = false;
    QByteArray output;
};

// `rlhf ARGS`, through `bash -c PREFIX` when a shell prefix (ulimit) is given.
Finished runRlhf(const QStringList& arguments, const QStringList& environment = {},
                 const QString& shellPrefix = {})
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    auto env = QProcessEnvironment::systemEnvironment();
    for (const auto& setting : environment)
        env.insert(setting.section('=', 0, 0), setting.section('=', 1));
    process.setProcessEnvironment(env);
    if (shellPrefix.isEmpty()) { // a prefix ending in ';' is shell code, else a command
        process.start(RLHF_BINARY_DIR "/bin/rlhf", arguments);
    } else {
        QString command = shellPrefix + (shellPrefix.endsWith(';') ? " exec " : " ") +
                          RLHF_BINARY_DIR "/bin/rlhf";
        for (const auto& argument : arguments)
            command += " '" + argument + "'";
        process.start("bash", {"-c", command});
    }
    process.waitForFinished(300'000);
    return {process.exitCode(), process.exitStatus() == QProcess::CrashExit, process.readAll()};
}

// The pretraining project: tokens, and a document saving a checkpoint after every step.
fs::path writeDocument(const fs::path& root, const std::string& name, int steps,
                       const std::string& resumeFrom = {}, nlohmann::json changes = {})
{
    auto document = test_support::tinyPretrainDocument(name, steps);
    document["training"]["checkpoint_every"] = 1;
    document["training"]["log_every"] = 1;
    document["training"]["threads"] = 1;
    if (!resumeFrom.empty()) document["resume_from"] = resumeFrom;
    if (!changes.is_null()) document.merge_patch(changes);
    const fs::path file = root / (name + ".json");
    writeJsonFile(file, document);
    return file;
}

fs::path makeProject(const fs::path& root)
{
    auto project = store::Project::create(root);
    test_support::writeTinyPretrainTokens(project);
    return root;
}

// The folders under checkpoints/run-N, by name.
std::set<std::string> foldersOf(const fs::path& root, store::Id run)
{
    std::set<std::string> names;
    const fs::path folder = root / "checkpoints" / ("run-" + std::to_string(run));
    if (fs::exists(folder))
        for (const auto& entry : fs::directory_iterator(folder))
            names.insert(entry.path().filename().string());
    return names;
}

void requireSameBytes(const fs::path& a, const fs::path& b)
{
    for (const char* file : {"model.safetensors", "optimizer.safetensors"}) {
        std::ifstream left(a / file, std::ios::binary), right(b / file, std::ios::binary);
        const std::string x{std::istreambuf_iterator<char>(left), {}};
        const std::string y{std::istreambuf_iterator<char>(right), {}};
        QVERIFY2(!x.empty() && x == y, (a / file).c_str());
    }
}

// A tmpfs of `bytes` at `folder`, unmounted when it goes; mounted() false where not allowed.
struct SmallDisk {
    fs::path folder;
    bool mounted = false;
    SmallDisk(fs::path where, int64_t bytes) : folder(std::move(where))
    {
        fs::create_directories(folder);
        const std::string options = "size=" + std::to_string(bytes);
        mounted = ::mount("tmpfs", folder.c_str(), "tmpfs", 0, options.c_str()) == 0;
    }
    ~SmallDisk()
    {
        if (mounted) ::umount2(folder.c_str(), MNT_DETACH);
    }
};

// `project` seen read-only at `folder`: a read-only bind mount where mounting is allowed
// (root), else the project folder itself with its write bit off (restored when it goes).
struct ReadOnlyView {
    fs::path project, folder;
    bool mounted = false, made = false;
    ReadOnlyView(fs::path source, const fs::path& mountPoint) : project(std::move(source))
    {
        fs::create_directories(mountPoint);
        mounted = ::mount(project.c_str(), mountPoint.c_str(), nullptr, MS_BIND, nullptr) == 0;
        if (mounted && ::mount(nullptr, mountPoint.c_str(), nullptr,
                               MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) == 0) {
            folder = mountPoint;
            made = true;
            return;
        }
        if (mounted) ::umount2(mountPoint.c_str(), MNT_DETACH);
        mounted = false;
        fs::permissions(project, fs::perms(0555));
        folder = project;
        made = ::access(project.c_str(), W_OK) != 0; // false for root without mounting
    }
    ~ReadOnlyView()
    {
        if (mounted) ::umount2(folder.c_str(), MNT_DETACH);
        fs::permissions(project, fs::perms(0755));
    }
};

int64_t folderBytes(const fs::path& folder)
{
    int64_t bytes = 0;
    for (const auto& entry : fs::recursive_directory_iterator(folder))
        if (entry.is_regular_file()) bytes += int64_t(entry.file_size());
    return bytes;
}

} // namespace

class TestFaults : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void killedAndStoppedRunsResumeBitIdentical()
    {
        QTemporaryDir dir;
        const fs::path root = makeProject(fs::path(dir.path().toStdString()) / "project");
        const auto straight =
            runRlhf({"train", "-p", pathArg(root),
                     pathArg(writeDocument(root, "straight", totalSteps, {}, killedModel))});
        QVERIFY2(straight.code == 0, straight.output.constData());

        std::mt19937 random(20261204); // the same "random" points on every machine
        int kills = 0, terms = 0, resumes = 0, removed = 0, adopted = 0;
        std::string resumeFrom;
        int64_t reached = 0; // the step of resumeFrom
        for (int round = 0; round < 6 && reached < totalSteps - 12; ++round) {
            const int signal = round % 3 == 2 ? SIGTERM : SIGKILL;
            const auto document = writeDocument(root, "chain", totalSteps, resumeFrom, killedModel);
            QProcess train;
            train.setProcessChannelMode(QProcess::MergedChannels);
            train.start(RLHF_BINARY_DIR "/bin/rlhf",
                        {"train", "-p", pathArg(root), pathArg(document)});
            QVERIFY(train.waitForStarted());
            // Two steps past the start at least, so this run saved a checkpoint of its own;
            // then anywhere in the next steps, their checkpoint writes included.
            const int64_t killAfter = reached + 2 + int64_t(random() % 3);
            const QByteArray line = "step " + QByteArray::number(killAfter) + "/";
            QByteArray output;
            while (!output.contains(line)) {
                QVERIFY2(train.waitForReadyRead(120'000), output.constData());
                output += train.readAll();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(random() % 40));
            QVERIFY2(train.state() == QProcess::Running, "the run ended before its signal");
            QCOMPARE(::kill(pid_t(train.processId()), signal), 0);
            QVERIFY(train.waitForFinished(120'000));
            output += train.readAll();
            if (signal == SIGKILL) {
                QCOMPARE(train.exitStatus(), QProcess::CrashExit);
                ++kills;
            } else {
                QVERIFY2(train.exitCode() == 0, output.constData());
                ++terms;
            }

            // What the next open finds: interrupted (killed) or stopped, every checkpoint
            // folder on disk recorded, none half-written.
            const auto project = store::Project::open(root);
            removed += int(project.recovery().removedPartial.size());
            adopted += int(project.recovery().adoptedCheckpoints.size());
            const auto run = project.database().runs().back();
            QCOMPARE(int(run.status),
                     int(signal == SIGKILL ? RunStatus::Interrupted : RunStatus::Stopped));
            std::set<std::string> recorded;
            for (const auto& checkpoint : project.database().checkpoints(run.id))
                recorded.insert(fs::path(checkpoint.path).filename().string());
            QCOMPARE(foldersOf(root, run.id), recorded);
            const auto latest = project.database().latestCheckpoint(run.id);
            QVERIFY(latest && latest->step > reached);
            model::loadTransformer(root / latest->path); // it loads
            qInfo("round %d: %s after step %lld, resumable from step %lld", round,
                  signal == SIGKILL ? "SIGKILL" : "SIGTERM", static_cast<long long>(killAfter),
                  static_cast<long long>(latest->step));
            resumeFrom = latest->path;
            reached = latest->step;
        }
        const auto last =
            runRlhf({"train", "-p", pathArg(root),
                     pathArg(writeDocument(root, "chain", totalSteps, resumeFrom, killedModel))});
        QVERIFY2(last.code == 0, last.output.constData());
        resumes = kills + terms;
        const auto project = store::Project::open(root);
        const auto runs = project.database().runs();
        const auto finalCheckpoint = project.database().latestCheckpoint(runs.back().id);
        QCOMPARE(finalCheckpoint->step, int64_t(totalSteps));
        requireSameBytes(root / project.database().latestCheckpoint(runs.front().id)->path,
                         root / finalCheckpoint->path);
        qInfo("fault suite: %d kills, %d SIGTERMs, %d resumes (%d half-written checkpoints "
              "removed, %d unrecorded ones recorded), final weights and optimizer state "
              "bit-identical to the uninterrupted run",
              kills, terms, resumes, removed, adopted);
    }

    void nanGradientStepIsSkipped()
    {
        QTemporaryDir dir;
        const fs::path root = makeProject(fs::path(dir.path().toStdString()) / "project");
        const auto result =
            runRlhf({"train", "-p", pathArg(root), pathArg(writeDocument(root, "poisoned", 5))},
                    {"RLHF_FAULT_NAN_GRAD_STEP=3"});
        QVERIFY2(result.code == 0, result.output.constData());
        QVERIFY2(result.output.contains("step 3: grad_norm nan: 1 update(s) skipped, weights and "
                                        "optimizer state unchanged"),
                 result.output.constData());
        const auto project = store::Project::open(root);
        const auto run = project.database().runs().back();
        QCOMPARE(int(run.status), int(RunStatus::Completed));
        const auto checkpoints = project.database().checkpoints(run.id);
        QCOMPARE(checkpoints.size(), size_t(5));
        // Step 3 changed nothing: its checkpoint holds step 2's weights and optimizer state;
        // step 4 trained again.
        requireSameBytes(root / checkpoints[1].path, root / checkpoints[2].path);
        const auto third = model::readTensors(root / checkpoints[2].path / "model.safetensors");
        const auto fourth = model::readTensors(root / checkpoints[3].path / "model.safetensors");
        QVERIFY(!at::equal(third.front().second, fourth.front().second));
        const auto norms = project.database().metricSeries(run.id, "train/grad_norm");
        QVERIFY(std::isnan(norms[2].value) && std::isfinite(norms[3].value));
    }

    void divergingRunStopsNamingTheStep()
    {
        QTemporaryDir dir;
        const fs::path root = makeProject(fs::path(dir.path().toStdString()) / "project");
        const auto result =
            runRlhf({"train", "-p", pathArg(root),
                     pathArg(writeDocument(root, "lr1e9", 200, {},
                                           {{"optimizer", {{"lr", 1e9}, {"warmup_steps", 0}}},
                                            {"training", {{"checkpoint_every", 2}}}}))});
        QCOMPARE(result.code, 1);
        QVERIFY2(result.output.contains("training diverged at step "), result.output.constData());
        QVERIFY2(result.output.contains("last good checkpoint: "), result.output.constData());
        QVERIFY2(!result.output.contains("SQL"), result.output.constData());
        const auto project = store::Project::open(root);
        const auto run = project.database().runs().back();
        QCOMPARE(int(run.status), int(RunStatus::Failed));
        const auto losses = project.database().metricSeries(run.id, "train/loss");
        QVERIFY(losses.size() >= 5 && losses.size() < 200);
        QVERIFY(!std::isfinite(losses.back().value)); // recorded as it was
        qInfo("lr 1e9: %s", result.output.right(300).constData());
    }

    void fullDiskKeepsThePreviousCheckpoint()
    {
        QTemporaryDir dir;
        const fs::path base = dir.path().toStdString();
        // A model whose checkpoints are megabytes, so that they, not the database, fill the disk.
        const nlohmann::json wide = {{"model", {{"dim", 256}, {"layers", 2}, {"heads", 4}}},
                                     {"training", {{"checkpoint_every", 2}}}};
        // One checkpoint's size, measured on the real disk.
        const fs::path probe = makeProject(base / "probe");
        const int64_t projectBytes = folderBytes(probe);
        QCOMPARE(runRlhf({"train", "-p", pathArg(probe),
                          pathArg(writeDocument(probe, "probe", 2, {}, wide))})
                     .code,
                 0);
        const fs::path probeCheckpoint = probe / "checkpoints" / "run-1" / "step-000002";
        const int64_t checkpointBytes = folderBytes(probeCheckpoint);
        const int64_t weightsBytes = int64_t(fs::file_size(probeCheckpoint / "model.safetensors"));

        // Room for the project and one checkpoint and a half: the second save runs out.
        SmallDisk disk(base / "disk", projectBytes + checkpointBytes * 3 / 2 + (2 << 20));
        const fs::path root = makeProject(disk.folder / "project");
        Finished result;
        if (disk.mounted) {
            result = runRlhf(
                {"train", "-p", pathArg(root), pathArg(writeDocument(root, "full", 6, {}, wide))});
        } else { // no mounting here: the first checkpoint as usual, the second under a limit
                 // on file size (bash counts KiB) of half a weights file
            QCOMPARE(runRlhf({"train", "-p", pathArg(root),
                              pathArg(writeDocument(root, "first", 2, {}, wide))})
                         .code,
                     0);
            const QString limit =
                "trap '' XFSZ; ulimit -f " + QString::number(weightsBytes / 2048) + ";";
            result = runRlhf(
                {"train", "-p", pathArg(root),
                 pathArg(writeDocument(root, "full", 6, "checkpoints/run-1/step-000002", wide))},
                {}, limit);
        }
        qInfo("%s: %s", disk.mounted ? "tmpfs" : "file-size limit",
              result.output.right(400).constData());
        QCOMPARE(result.code, 1);
        QVERIFY2(result.output.contains("saving checkpoint"), result.output.constData());
        QVERIFY2(
            result.output.contains(disk.mounted ? "No space left on device" : "File too large"),
            result.output.constData());

        const auto project = store::Project::open(root);
        const auto run = project.database().runs().back();
        QCOMPARE(int(run.status), int(RunStatus::Failed));
        const auto saved = project.database().latestCheckpoint(project.database().runs()[0].id);
        QVERIFY(saved);
        QCOMPARE(saved->step, int64_t(2));
        for (const auto& name : foldersOf(root, run.id))
            QVERIFY2(!name.ends_with(".tmp"), name.c_str()); // the partial one was removed
        model::loadTransformer(root / saved->path);          // intact
    }

    void killedImportIsUndone()
    {
        QTemporaryDir dir;
        const fs::path base = dir.path().toStdString();
        const fs::path root = base / "project";
        store::Project::create(root);
        { // distinct rows, enough for several batches
            std::ofstream out(base / "big.jsonl");
            for (int i = 0; i < 400'000; ++i)
                out << "{\"text\": \"row " << i
                    << " of a file being imported when the power goes\"}\n";
        }
        std::ofstream(base / "small.txt") << "a small file\n";
        store::Database reader(root / "project.sqlite", store::OpenMode::ExistingOnly);
        QProcess import;
        import.start(RLHF_BINARY_DIR "/bin/rlhf",
                     {"import", "-p", pathArg(root), "-n", "big", pathArg(base / "big.jsonl")});
        QVERIFY(import.waitForStarted());
        int64_t written = 0;
        while (written == 0) { // until a batch is in
            QVERIFY2(import.state() == QProcess::Running, "the import ended before its kill");
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            if (const auto dataset = reader.datasetByName("big"))
                written = reader.documentCount(dataset->id);
        }
        QCOMPARE(::kill(pid_t(import.processId()), SIGKILL), 0);
        QVERIFY(import.waitForFinished(60'000));

        const auto project = store::Project::open(root);
        QVERIFY(!project.database().datasetByName("big"));
        QCOMPARE(project.recovery().lines(),
                 (std::vector<std::string>{"an import into dataset 'big' was cut off (its process "
                                           "is gone): the dataset it was creating was removed"}));
        // The name is free again.
        const auto again =
            runRlhf({"import", "-p", pathArg(root), "-n", "big", pathArg(base / "small.txt")});
        QVERIFY2(again.code == 0, again.output.constData());
        qInfo("import killed with %lld of 400000 rows written: undone on the next open",
              static_cast<long long>(written));
    }

    void readOnlyProjectStillLists()
    {
        QTemporaryDir dir;
        const fs::path base = dir.path().toStdString();
        const fs::path project = base / "project";
        {
            auto created = store::Project::create(project);
            created.database().addDataset("notes", store::DatasetKind::Text, "notes.txt");
        }
        std::ofstream(base / "more.txt") << "more text\n";
        // A folder its user cannot write: root writes anywhere, so for root a read-only bind
        // mount of the project (EROFS even for root); otherwise the folder loses its write bit.
        ReadOnlyView view(project, base / "view");
        QVERIFY2(view.made, "neither a read-only mount nor a read-only folder could be made");
        const QString root = pathArg(view.folder);
        const auto quarantine = runRlhf({"quarantine", "-p", root, "-d", "notes"});
        QVERIFY2(quarantine.code == 0, quarantine.output.constData());
        const auto labels = runRlhf({"labels", "list", "-p", root});
        QVERIFY2(labels.code == 0, labels.output.constData());
        const auto write =
            runRlhf({"import", "-p", root, "-n", "more", pathArg(base / "more.txt")});
        QCOMPARE(write.code, 1);
        QVERIFY2(write.output.contains("readonly database"), write.output.constData());
        QVERIFY2(write.output.contains("project.sqlite"), write.output.constData());
        qInfo("%s; a write: %s", view.mounted ? "read-only bind mount" : "folder without write bit",
              write.output.trimmed().constData());
    }

    void badModelInputsAreNamedBeforeTheRun()
    {
        QTemporaryDir dir;
        const fs::path root = makeProject(fs::path(dir.path().toStdString()) / "project");
        text::BpeTrainer trainer({.vocabSize = 300, .specialTokens = {}});
        trainer.addText("the quick brown fox jumps over the lazy dog, again and again");
        text::saveTokenizerJson(trainer.train(), root / "tokenizers" / "bpe.json");
        // A tokenizer with more tokens than the model has embeddings (the data's ids fit).
        const auto small = runRlhf(
            {"train", "-p", pathArg(root),
             pathArg(writeDocument(root, "small", 2, {}, {{"tokenizer", "tokenizers/bpe.json"}}))});
        QCOMPARE(small.code, 1);
        QVERIFY2(small.output.contains("model.vocab_size: the model has 40 token embeddings but "
                                       "its tokenizer "),
                 small.output.constData());
        // A token file given as the tokenizer.
        const auto u32 = runRlhf(
            {"train", "-p", pathArg(root),
             pathArg(writeDocument(root, "u32", 2, {}, {{"tokenizer", "tokens/d-t-train.u32"}}))});
        QCOMPARE(u32.code, 1);
        QVERIFY2(u32.output.contains("tokenizer: ") && u32.output.contains("d-t-train.u32"),
                 u32.output.constData());
        QVERIFY(store::Project::open(root).database().runs().empty()); // nothing recorded

        // A checkpoint with a NaN weight: generation names the tensor instead of printing NULs.
        QCOMPARE(
            runRlhf({"train", "-p", pathArg(root), pathArg(writeDocument(root, "ok", 2))}).code, 0);
        const fs::path checkpoint = root / "checkpoints" / "run-1" / "step-000002";
        auto tensors = model::readTensors(checkpoint / "model.safetensors");
        tensors[1].second.view(-1)[3] = std::nan("");
        model::writeTensors(checkpoint / "model.safetensors", tensors);
        const auto generated =
            runRlhf({"generate", "-c", pathArg(checkpoint), "--max-new-tokens", "4", "hello"});
        QCOMPARE(generated.code, 1);
        const QByteArray expected = "tensor '" + QByteArray::fromStdString(tensors[1].first) +
                                    "' holds 1 NaN and 0 infinite";
        QVERIFY2(generated.output.contains(expected), generated.output.constData());
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "test_faults.moc"
