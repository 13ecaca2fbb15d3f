// "Improve from feedback" through the real `rlhf` executable on a real project with a tiny Llama:
// `rlhf feedback export` writes the pairs as a dataset (and JSONL) and reports the rated replies
// without a counterpart; `rlhf feedback improve` runs the reward model refresh and DPO to
// completion, both descending from the checkpoint improved, with their documents in runs/; the
// next plan starts from the improved checkpoint and the refreshed reward model; no pair, an
// unknown checkpoint and a bad options document are refused before anything is written.
#include "core/eval/feedback_improve.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "core/util/json_file.h"
#include "tests/support/arithmetic_project.h"
#include "tests/support/run_cli.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>

using namespace rlhf;
using test_support::runCli;
namespace fs = std::filesystem;

namespace {

const char* const basePath = "checkpoints/1/step-000010";
constexpr int promptCount = 8;

std::string promptOf(int i)
{
    const std::vector<data::Message> messages{
        {"user", "please help me with task " + std::to_string(i)}};
    return eval::messagesJson(messages);
}

// A project whose "sft" run (completed) saved a tiny Llama; with `pairs`, every prompt has a
// liked and a disliked reply, and one more prompt a liked reply alone.
fs::path makeProject(const fs::path& root, bool pairs)
{
    store::Project project = store::Project::create(root);
    store::Database& database = project.database();
    fixtures::writeTinyLlama(
        project, basePath, "please help me. yes, gladly. no, go away. please help me with task 12.",
        5, 64);
    const store::Id run = database.createRun(store::RunStage::Sft, "sft", "{}");
    database.addCheckpoint(run, 10, basePath);
    database.finishRun(run, store::RunStatus::Completed);
    if (!pairs) return root;
    for (int i = 0; i < promptCount; ++i) {
        database.addFeedback({.promptJson = promptOf(i),
                              .reply = "yes, gladly",
                              .checkpoint = basePath,
                              .rating = store::Rating::Up});
        database.addFeedback({.promptJson = promptOf(i),
                              .reply = "no, go away",
                              .checkpoint = basePath,
                              .rating = store::Rating::Down});
    }
    database.addFeedback({.promptJson = promptOf(99),
                          .reply = "yes, gladly",
                          .checkpoint = basePath,
                          .rating = store::Rating::Up});
    return root;
}

QStringList quickTraining()
{
    return {"--reward-steps", "2", "--policy-steps", "2",   "--batch", "2",
            "--threads",      "1", "--precision",    "fp32"};
}

} // namespace

class TestFeedbackImprove : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }

private Q_SLOTS:
    void exportWritesTheDatasetAndSaysWhatIsMissing()
    {
        const fs::path root = makeProject(path("export").toStdString(), true);
        const auto result =
            runCli({"feedback", "export", "-p", QString::fromStdString(root.string()), "--out",
                    path("pairs.jsonl")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.err));
        QVERIFY2(result.out.contains("8 preference pairs: 8 from thumbs (17 rated replies), 0 "
                                     "from arena votes (0 battles)"),
                 qPrintable(result.out));
        QVERIFY2(result.out.contains("1 rated reply has no counterpart: regenerate and rate the "
                                     "other one"),
                 qPrintable(result.out));
        QVERIFY(result.out.contains("wrote dataset feedback-1: "));
        QFile jsonl(path("pairs.jsonl"));
        QVERIFY(jsonl.open(QIODevice::ReadOnly));
        QCOMPARE(jsonl.readAll().count('\n'), 8);
        store::Project project = store::Project::open(root);
        const auto dataset = project.database().datasetByName("feedback-1");
        QVERIFY(dataset);
        QCOMPARE(project.database().documentCount(dataset->id), int64_t(8));
    }

    void improveRunsBothStagesFromTheCheckpoint()
    {
        const fs::path root = makeProject(path("improve").toStdString(), true);
        const QString project = QString::fromStdString(root.string());
        const auto result =
            runCli(QStringList{"feedback", "improve", "-p", project} + quickTraining());
        QVERIFY2(result.exitCode == 0, qPrintable(result.err + result.out));
        QVERIFY2(result.out.contains("the reward model starts from checkpoints/1/step-000010 (the "
                                     "policy: the project has no completed reward model yet)"),
                 qPrintable(result.out));

        store::Project opened = store::Project::open(root);
        const store::Database& database = opened.database();
        const std::vector<store::Run> runs = database.runs();
        QCOMPARE(runs.size(), size_t(3));
        const store::Run& reward = runs[1];
        const store::Run& dpo = runs[2];
        QCOMPARE(reward.name, std::string("feedback-1-reward"));
        QCOMPARE(reward.stage, store::RunStage::Reward);
        QCOMPARE(reward.status, store::RunStatus::Completed);
        QCOMPARE(reward.parent, std::optional<store::Id>(runs[0].id)); // "from #1"
        QCOMPARE(dpo.name, std::string("feedback-1-dpo"));
        QCOMPARE(dpo.stage, store::RunStage::Dpo);
        QCOMPARE(dpo.status, store::RunStatus::Completed);
        QCOMPARE(dpo.parent, std::optional<store::Id>(runs[0].id));
        const auto improved = database.latestCheckpoint(dpo.id);
        QVERIFY(improved);
        QCOMPARE(improved->step, int64_t(2));
        QVERIFY(fs::exists(opened.paths().absolute(improved->path) / "model.safetensors"));
        QVERIFY2(result.out.contains(QString::fromStdString("improved " + std::string(basePath) +
                                                            " -> " + improved->path)),
                 qPrintable(result.out));
        QVERIFY(readJsonFile(root / "runs" / "feedback-1-dpo.json").at("init") ==
                nlohmann::json(basePath));
        QVERIFY(readJsonFile(root / "runs" / "feedback-1-reward.json").at("stage") == "reward");
        QVERIFY(database.metricSeries(dpo.id, "train/loss").size() == 2);

        // The options document the run wrote is a valid --config; its empty name picks the next.
        const nlohmann::json options = readJsonFile(root / "runs" / "feedback-1-improve.json");
        QVERIFY(options.at("name") == nlohmann::json(""));
        eval::ImproveOptions next = eval::improveOptionsFromJson(options, "feedback-1-improve");
        // The next improvement continues the improved checkpoint, its reward model the
        // refreshed one.
        const eval::ImprovePlan plan = eval::planImprove(opened, next);
        QCOMPARE(plan.options.name, std::string("feedback-2"));
        QCOMPARE(plan.policy, improved->path);
        QCOMPARE(plan.rewardInit, database.latestCheckpoint(reward.id)->path);
        QVERIFY(plan.rewardNote.starts_with("the newest reward model, run 2"));
        QVERIFY(plan.rewardDocument.at("init") == nlohmann::json(plan.rewardInit));
        const nlohmann::json policy = eval::policyDocument(plan, plan.rewardInit);
        QVERIFY(policy.at("init") == nlohmann::json(improved->path));
        next.method = eval::ImproveMethod::Ppo;
        next.name = "ppo-check";
        const eval::ImprovePlan ppo = eval::planImprove(opened, next);
        QVERIFY(eval::policyDocument(ppo, "checkpoints/9/step-000001").at("reward").at("model") ==
                nlohmann::json("checkpoints/9/step-000001"));
        QCOMPARE(eval::policyRunName(ppo), std::string("ppo-check-ppo"));
    }

    void refusalsWriteNothing()
    {
        const fs::path root = makeProject(path("refused").toStdString(), false);
        const QString project = QString::fromStdString(root.string());
        auto result = runCli(QStringList{"feedback", "improve", "-p", project} + quickTraining());
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.err.contains("rlhf: no preference pair to learn from; 0 preference pairs: "
                                     "0 from thumbs (0 rated replies), 0 from arena votes"),
                 qPrintable(result.err));
        {
            store::Project opened = store::Project::open(root);
            opened.database().addFeedback(
                {.promptJson = promptOf(1), .reply = "yes", .rating = store::Rating::Up});
            opened.database().addFeedback(
                {.promptJson = promptOf(1), .reply = "no", .rating = store::Rating::Down});
        }
        result = runCli({"feedback", "improve", "-p", project, "--from", "checkpoints/9/step-1"});
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.err.contains("from: checkpoints/9/step-1 is no checkpoint or base model "
                                     "of this project"),
                 qPrintable(result.err));
        QFile config(path("bad-improve.json"));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(R"({"method": "dpo", "training": {"precision": "fp64"}})");
        config.close();
        result =
            runCli({"feedback", "improve", "-p", project, "--config", path("bad-improve.json")});
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.err.contains("feedback-1-reward: training.precision: expected auto, fp32 "
                                     "or bf16"),
                 qPrintable(result.err));
        store::Project opened = store::Project::open(root);
        QVERIFY(opened.database().datasets().empty() ||
                !opened.database().datasetByName("feedback-1"));
        QCOMPARE(opened.database().runs().size(), size_t(1));
        QVERIFY(!fs::exists(root / "runs"));
    }
};

QTEST_GUILESS_MAIN(TestFeedbackImprove)
#include "test_feedback_improve.moc"
