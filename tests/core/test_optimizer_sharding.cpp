// ZeRO stage 1 (training.shard_optimizer_state) with real processes under `rlhf train --nproc 2`
// and real Gloo over loopback: 2 ranks with the optimizer state sharded train as 2 ranks without
// (same losses, weights and saved optimizer state) for pretraining and SFT, each rank holding
// about half of the moments (bytes from the log line); the sharded run's checkpoint is the usual
// single optimizer.safetensors, which one process, or 2 sharded ranks, resume and train on as the
// run itself went on.
#include "core/model/tensor_io.h"
#include "core/store/project.h"
#include "core/train/training_options.h"
#include "core/util/json_file.h"
#include "tests/support/arithmetic_project.h"
#include "tests/support/parallel_runs.h"
#include "tests/support/tiny_pretrain_document.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using rlhf::writeJsonFile;
using namespace rlhf::testing;

namespace {

// The largest difference between two optimizer.safetensors (every tensor, by name); infinity
// when they name different tensors.
double maxStateDifference(const fs::path& a, const fs::path& b)
{
    const auto first = rlhf::model::readTensors(a / "optimizer.safetensors");
    const auto second = rlhf::model::readTensors(b / "optimizer.safetensors");
    if (first.size() != second.size()) return INFINITY;
    double largest = 0;
    for (size_t i = 0; i < first.size(); ++i) {
        if (first[i].first != second[i].first) return INFINITY;
        const auto difference = first[i].second.to(at::kDouble) - second[i].second.to(at::kDouble);
        largest = std::max(largest, difference.abs().max().item<double>());
    }
    return largest;
}

// Bytes of AdamW's two fp32 moments for every parameter of the checkpoint at `folder`.
int64_t momentBytesOf(const fs::path& folder)
{
    int64_t bytes = 0;
    for (const auto& [name, tensor] : rlhf::model::readTensors(folder / "model.safetensors"))
        bytes += 2 * tensor.numel() * int64_t(sizeof(float));
    return bytes;
}

// Trains `document` as run `name` under `rlhf train --nproc <processes>` (1: a plain process);
// returns what it printed.
QString train(const fs::path& root, nlohmann::json document, const std::string& name, int processes)
{
    document["name"] = name;
    const fs::path file = root / (name + ".json");
    writeJsonFile(file, document);
    QStringList arguments{"train", "-p", QString::fromStdString(root.string())};
    if (processes > 1) arguments << "--nproc" << QString::number(processes);
    const Result result = runCli(arguments << QString::fromStdString(file.string()));
    if (result.exitCode != 0)
        throw std::runtime_error(name + ": " + (result.out + result.err).toStdString());
    return result.out;
}

// The per-rank byte counts of "optimizer state sharded over 2 ranks: ... (bytes per rank: a, b)".
std::vector<int64_t> shardBytes(const QString& log)
{
    const auto match =
        QRegularExpression("optimizer state sharded over 2 ranks: [0-9.]+ MB of [0-9.]+ MB on "
                           "this rank \\(bytes per rank: ([0-9]+), ([0-9]+)\\)")
            .match(log);
    if (!match.hasMatch()) return {};
    return {match.captured(1).toLongLong(), match.captured(2).toLongLong()};
}

// Trains `document` on 2 ranks twice, "plain" and "sharded" (shard_optimizer_state), and checks
// that they match in losses, final weights and saved optimizer state, and that the sharded one's
// ranks split the moments' bytes about evenly. `losses` gets the plain run's.
void compareShardedAndPlain(const fs::path& root, nlohmann::json document, const char* stage,
                            std::vector<double>& losses)
{
    document["training"]["shard_optimizer_state"] = false;
    const QString plainLog = train(root, document, "plain", 2);
    document["training"]["shard_optimizer_state"] = true;
    const QString shardedLog = train(root, document, "sharded", 2);
    if (plainLog.contains("sharded over")) throw std::runtime_error("plain run was sharded");

    const auto plain = lossesOf(root, "plain"), sharded = lossesOf(root, "sharded");
    const fs::path plainCheckpoint = lastCheckpointOf(root, "plain");
    const fs::path shardedCheckpoint = lastCheckpointOf(root, "sharded");
    const double lossDifference = maxDifference(plain, sharded);
    const double weightDifference = maxWeightDifference(plainCheckpoint, shardedCheckpoint);
    const double stateDifference = maxStateDifference(plainCheckpoint, shardedCheckpoint);
    const auto bytes = shardBytes(shardedLog);
    if (bytes.size() != 2)
        throw std::runtime_error("no shard line in: " + shardedLog.toStdString());
    qInfo("%s: %zu steps, losses %.6f -> %.6f; sharded vs plain: max |loss difference| %.3g, "
          "max |weight difference| %.3g, max |optimizer state difference| %.3g; moments per "
          "rank %lld + %lld bytes",
          stage, plain.size(), plain.front(), plain.back(), lossDifference, weightDifference,
          stateDifference, static_cast<long long>(bytes[0]), static_cast<long long>(bytes[1]));
    QCOMPARE(sharded.size(), plain.size());
    // The same averaged gradients, the same update per parameter: only who computes it differs.
    QVERIFY2(lossDifference < 1e-6, qPrintable(QString::number(lossDifference)));
    QVERIFY2(weightDifference < 1e-6, qPrintable(QString::number(weightDifference)));
    QVERIFY2(stateDifference < 1e-6, qPrintable(QString::number(stateDifference)));
    // Every moment on exactly one rank, and neither rank holding nearly all of them.
    QCOMPARE(bytes[0] + bytes[1], momentBytesOf(shardedCheckpoint));
    QVERIFY(std::min(bytes[0], bytes[1]) > (bytes[0] + bytes[1]) / 4);
    losses = plain;
}

} // namespace

class TestOptimizerSharding : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Pretraining, 6 steps with a checkpoint after 3: the later slots resume the sharded run.
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_pretrain = fs::path(m_dir.filePath("pretrain").toStdString());
        RUN_OK(runCli({"init", QString::fromStdString(m_pretrain.string())}));
        rlhf::test_support::writeTinyPretrainTokens(rlhf::store::Project::open(m_pretrain));
        m_document = rlhf::test_support::tinyPretrainDocument("", 6);
        m_document["training"]["threads"] = 1;
        m_document["training"]["eval_every"] = 0;
        m_document["training"]["checkpoint_every"] = 3;
    }

    void pretrainShardedEqualsPlain()
    {
        std::vector<double> losses;
        compareShardedAndPlain(m_pretrain, m_document, "pretrain", losses);
        QVERIFY(losses.back() < losses.front()); // and it learns
    }

    void sftShardedEqualsPlain()
    {
        QTemporaryDir dir;
        const fs::path root = dir.filePath("project").toStdString();
        const std::string init = fixtures::writeArithmeticProject(root);
        const nlohmann::json document = {{"stage", "sft"},
                                         {"init", init},
                                         {"data", {{"dataset", "arith-sft"}, {"train", "train"}}},
                                         {"optimizer", {{"lr", 0.003}, {"warmup_steps", 1}}},
                                         {"training",
                                          {{"steps", 4},
                                           {"batch_size", 3},
                                           {"grad_accumulation", 2},
                                           {"seed", 5},
                                           {"threads", 1},
                                           {"precision", "fp32"}}}};
        std::vector<double> losses;
        compareShardedAndPlain(root, document, "sft", losses);
        QVERIFY(losses.back() < losses.front());
    }

    // One process (batch 2 x 4) resumes the sharded run's step-3 checkpoint and its steps 4-6
    // are the 2 ranks' steps 4-6: the whole optimizer state was saved, and read back whole.
    void shardedCheckpointResumesInOneProcess()
    {
        nlohmann::json document = m_document;
        document["training"]["batch_size"] = 8;
        document["training"]["shard_optimizer_state"] = true; // a no-op in one process
        document["resume_from"] = stepThreeOfSharded();
        const QString log = train(m_pretrain, document, "resumed-one", 1);
        QVERIFY2(log.contains("shard_optimizer_state: one process, nothing to shard"),
                 qPrintable(log));
        compareContinuation("resumed-one", 1e-5, 5e-5); // 1 process sums in another order
    }

    // Two sharded ranks resume it too, each reading its own partition: the same steps exactly.
    void shardedCheckpointResumesSharded()
    {
        nlohmann::json document = m_document;
        document["training"]["shard_optimizer_state"] = true;
        document["resume_from"] = stepThreeOfSharded();
        const QString log = train(m_pretrain, document, "resumed-two", 2);
        QVERIFY2(shardBytes(log).size() == 2, qPrintable(log));
        compareContinuation("resumed-two", 1e-6, 1e-6);
    }

private:
    std::string stepThreeOfSharded() const
    {
        const auto run = runNamed(m_pretrain, "sharded").id;
        return (m_pretrain / "checkpoints" / ("run-" + std::to_string(run)) /
                rlhf::train::stepFolderName(3))
            .string();
    }

    // The resumed run `name` trained steps 4-6 as the sharded run did, within the tolerances.
    void compareContinuation(const std::string& name, double lossTolerance, double weightTolerance)
    {
        const auto sharded = lossesOf(m_pretrain, "sharded");
        const auto resumed = lossesOf(m_pretrain, name);
        QCOMPARE(resumed.size(), size_t(3));
        const std::vector<double> lastThree(sharded.end() - 3, sharded.end());
        const double lossDifference = maxDifference(lastThree, resumed);
        const double weightDifference = maxWeightDifference(
            lastCheckpointOf(m_pretrain, name), lastCheckpointOf(m_pretrain, "sharded"));
        qInfo("%s: steps 4-6 losses %.6f %.6f %.6f; vs the sharded run: max |loss difference| "
              "%.3g, max |weight difference| %.3g",
              name.c_str(), resumed[0], resumed[1], resumed[2], lossDifference, weightDifference);
        QVERIFY2(lossDifference < lossTolerance, qPrintable(QString::number(lossDifference)));
        QVERIFY2(weightDifference < weightTolerance, qPrintable(QString::number(weightDifference)));
    }

    QTemporaryDir m_dir;
    fs::path m_pretrain; // the pretraining project, with runs "plain" and "sharded"
    nlohmann::json m_document;
};

QTEST_GUILESS_MAIN(TestOptimizerSharding)
#include "test_optimizer_sharding.moc"
