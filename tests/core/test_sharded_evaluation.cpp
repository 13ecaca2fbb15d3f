// Each rank evaluates its own shard of the validation data: 2 ranks x batch B/2 (`rlhf train
// --nproc 2`) report, at every evaluation, the val/ metrics of 1 process x batch B over the same
// examples (within fp32 tolerance) for pretraining, SFT, reward and DPO, and rank 0 says that it
// evaluated half of the validation batches, where one process evaluates all of them.
#include "core/util/json_file.h"
#include "tests/support/arithmetic_project.h"
#include "tests/support/parallel_runs.h"
#include "tests/support/tiny_pretrain_document.h"

#include <QElapsedTimer>
#include <QtTest>

namespace fs = std::filesystem;
using rlhf::writeJsonFile;
using namespace rlhf::testing;

namespace {

// What one evaluation covers and what rank 0 evaluates of it, as the stage logs it.
struct EvaluationShare {
    int batches, allBatches, examples, allExamples;
    const char* noun;

    QString logLine() const
    {
        return QString("evaluation: %1 of %2 validation batches (%3 of %4 %5) on this rank")
            .arg(batches)
            .arg(allBatches)
            .arg(examples)
            .arg(allExamples)
            .arg(noun);
    }
};

// Runs `document` as "one" (1 process, batch `batch`) or "two" (2 ranks, batch `batch` / 2);
// checks that it succeeds and that rank 0 logged `share`.
void train(const fs::path& root, nlohmann::json document, int64_t batch, int ranks,
           const EvaluationShare& share)
{
    const std::string name = ranks == 1 ? "one" : "two";
    document["name"] = name;
    document["training"]["batch_size"] = batch / ranks;
    writeJsonFile(root / (name + ".json"), document);
    QStringList arguments{"train", "-p", QString::fromStdString(root.string())};
    if (ranks > 1) arguments << "--nproc" << QString::number(ranks);
    arguments << QString::fromStdString((root / (name + ".json")).string());
    QElapsedTimer clock;
    clock.start();
    const Result result = runCli(arguments);
    RUN_OK(result);
    qInfo("%s: %d rank(s), %.1f s", name.c_str(), ranks, double(clock.elapsed()) / 1000);
    QVERIFY2(result.out.contains(share.logLine()), qPrintable(share.logLine() + "\n" + result.out));
}

// Every evaluation's `metrics` of run "two" against run "one": the same steps, the same values
// within fp32 tolerance.
void compareEvaluations(const fs::path& root, const std::vector<std::string>& metrics,
                        const char* stage)
{
    rlhf::store::Database database(root / "project.sqlite");
    const auto one = runNamed(root, "one").id, two = runNamed(root, "two").id;
    for (const std::string& metric : metrics) {
        const auto single = database.metricSeries(one, metric);
        const auto sharded = database.metricSeries(two, metric);
        QVERIFY2(single.size() >= 2, metric.c_str()); // at an interval and at the end
        QCOMPARE(sharded.size(), single.size());
        double largest = 0;
        for (size_t i = 0; i < single.size(); ++i) {
            QCOMPARE(sharded[i].step, single[i].step);
            const double difference = std::abs(sharded[i].value - single[i].value);
            largest = std::max(largest, difference);
            QVERIFY2(difference <= 1e-5 * std::max(1.0, std::abs(single[i].value)),
                     qPrintable(QString("%1 at step %2: %3 (1 process) vs %4 (2 ranks)")
                                    .arg(metric.c_str())
                                    .arg(single[i].step)
                                    .arg(single[i].value, 0, 'g', 10)
                                    .arg(sharded[i].value, 0, 'g', 10)));
        }
        qInfo("%s %s: %zu evaluations, last %.6f, max |difference| %.3g", stage, metric.c_str(),
              single.size(), single.back().value, largest);
    }
}

// Trains `document` as "one" (1 process, batch `batch`, evaluating `one`) and as "two" (2
// ranks, batch `batch` / 2, rank 0 evaluating `two`), then compares their evaluations.
void checkShardedEvaluation(const fs::path& root, const nlohmann::json& document, int64_t batch,
                            const EvaluationShare& one, const EvaluationShare& two,
                            const std::vector<std::string>& metrics, const char* stage)
{
    train(root, document, batch, 1, one);
    if (QTest::currentTestFailed()) return;
    train(root, document, batch, 2, two);
    if (QTest::currentTestFailed()) return;
    compareEvaluations(root, metrics, stage);
}

// A fresh arithmetic project (tiny Llama, operands up to 12: a test split of 48 problems) in a
// temporary folder, and its checkpoint to fine-tune.
struct ArithmeticProject {
    QTemporaryDir dir;
    fs::path root = dir.filePath("project").toStdString();
    std::string init = fixtures::writeArithmeticProject(root, /*seed=*/3, /*maxOperand=*/12);
};

// A fine-tuning document on the arithmetic task: trained on "train", evaluated on "test".
nlohmann::json fineTuneDocument(const std::string& init, const char* stage, const char* dataset,
                                int64_t evalBatches)
{
    return {{"stage", stage},
            {"init", init},
            {"data", {{"dataset", dataset}, {"train", "train"}, {"val", "test"}}},
            {"optimizer", {{"lr", 0.003}, {"warmup_steps", 1}}},
            {"training",
             {{"steps", 4},
              {"eval_every", 2},
              {"eval_batches", evalBatches},
              {"checkpoint_every", 0},
              {"seed", 5},
              {"threads", 1},
              {"precision", "fp32"}}}};
}

} // namespace

class TestShardedEvaluation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // 3 global batches of 8 windows: 1 process x 3 batches of 8, or each rank 3 of 6 batches of 4.
    void pretrainRanksShareTheWindows()
    {
        QTemporaryDir dir;
        const fs::path root = dir.filePath("project").toStdString();
        rlhf::test_support::writeTinyPretrainTokens(rlhf::store::Project::create(root));
        nlohmann::json document = rlhf::test_support::tinyPretrainDocument("", 4);
        document["training"]["eval_every"] = 2;
        document["training"]["eval_batches"] = 3;
        document["training"]["seed"] = 11;
        document["training"]["threads"] = 1;
        checkShardedEvaluation(root, document, 8, {3, 3, 24, 24, "windows"},
                               {3, 6, 12, 24, "windows"}, {"val/loss", "val/perplexity"},
                               "pretrain");
    }

    // 2 global batches of 6 of the test split's dialogues: 2 of 2 batches, or 2 of 4 of 3.
    void sftRanksShareTheDialogues()
    {
        const ArithmeticProject project;
        const auto document = fineTuneDocument(project.init, "sft", "arith-sft", 2);
        checkShardedEvaluation(project.root, document, 6, {2, 2, 12, 12, "dialogues"},
                               {2, 4, 6, 12, "dialogues"}, {"val/loss", "val/perplexity"}, "sft");
    }

    // Every held-out pair (eval_batches far beyond the split), 48 of them: 1 process takes 4
    // batches of 14 (the last of 6), the 2 ranks 7 batches of 7, rank 0 four of them (27 pairs)
    // and rank 1 three (21 pairs), so only exact sums over the ranks give the same metrics.
    void rewardRanksShareUnevenly()
    {
        const ArithmeticProject project;
        QCOMPARE(heldOutPairs(project.root), 48);
        // A seeded random head, so that the scores spread (a new one is zero).
        torch::manual_seed(7);
        rlhf::model::writeTensors(
            project.root / project.init / "score.safetensors",
            {{"score.weight", torch::randn({1, 32}) * 0.3}, {"score.bias", torch::full({1}, 0.1)}});
        auto document = fineTuneDocument(project.init, "reward", "arith-pairs", 1000);
        // The loss sees only score differences, so the head's bias has a zero gradient up to
        // float32 noise, which AdamW turns into steps of +-lr that differ between 1 and 2
        // processes and shift every score: a tiny lr keeps the two models equal, so that what
        // differs is only how they evaluate.
        document["optimizer"]["lr"] = 1e-8;
        document["optimizer"]["min_lr"] = 0.0;
        checkShardedEvaluation(
            project.root, document, 14, {4, 4, 48, 48, "pairs"}, {4, 7, 27, 48, "pairs"},
            {"val/loss", "val/accuracy", "val/margin", "val/reward_mean", "val/reward_std"},
            "reward");
    }

    // One global batch of 6 held-out pairs: 1 of 1 batch of 6, or 1 of 2 batches of 3.
    void dpoRanksShareThePairs()
    {
        const ArithmeticProject project;
        const auto document = fineTuneDocument(project.init, "dpo", "arith-pairs", 1);
        checkShardedEvaluation(
            project.root, document, 6, {1, 1, 6, 6, "pairs"}, {1, 2, 3, 6, "pairs"},
            {"val/loss", "val/reward_chosen", "val/reward_rejected", "val/margin", "val/accuracy"},
            "dpo");
    }

private:
    // Pairs of the arithmetic preference data set in the test split.
    static int heldOutPairs(const fs::path& root)
    {
        rlhf::store::Database database(root / "project.sqlite");
        return int(database.documentCount(database.datasetByName("arith-pairs")->id, "test"));
    }
};

QTEST_GUILESS_MAIN(TestShardedEvaluation)
#include "test_sharded_evaluation.moc"
