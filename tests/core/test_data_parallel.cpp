// Data-parallel training with real processes and real Gloo over loopback: 2 ranks x batch B/2
// train exactly as 1 process x batch B (same losses per step, same weights after several steps,
// within fp32 tolerance) for pretraining, SFT, reward and DPO, launched by `rlhf train --nproc
// 2`; PPO and GRPO split each step's prompts over 2 ranks with the job's statistics; a rank
// killed with SIGKILL makes the other fail at once naming it (and the run resumes in 1 process
// as in 2), a hung one after the timeout, and the last checkpoint stays intact; Ctrl-C stops all
// ranks after the same step; the launcher variables are read as torchrun and Slurm set them,
// and each local rank gets its GPU.
#include "core/dist/rendezvous.h"
#include "core/model/checkpoint.h"
#include "core/train/precision.h"
#include "core/util/json_file.h"
#include "tests/support/arithmetic_project.h"
#include "tests/support/parallel_runs.h"

#include <QtTest>

#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <tuple>

namespace fs = std::filesystem;
using rlhf::writeJsonFile;
using namespace rlhf::testing;

namespace {

// Trains `document` twice, named "one" (1 process, batch B) and "two" (`rlhf train --nproc 2`,
// batch B / 2), and compares their losses per step and final weights; `losses` gets the first's.
void compareOneAndTwoProcesses(const fs::path& root, nlohmann::json document, int64_t batch,
                               const char* stage, std::vector<double>& losses)
{
    document["name"] = "one";
    document["training"]["batch_size"] = batch;
    writeJsonFile(root / "one.json", document);
    document["name"] = "two";
    document["training"]["batch_size"] = batch / 2;
    writeJsonFile(root / "two.json", document);
    const QString project = QString::fromStdString(root.string());
    RUN_OK(runCli({"train", "-p", project, QString::fromStdString((root / "one.json").string())}));
    const Result two = runCli({"train", "-p", project, "--nproc", "2",
                               QString::fromStdString((root / "two.json").string())});
    RUN_OK(two);
    QVERIFY2(two.out.contains("launching 2 ranks"), qPrintable(two.out));
    // The last micro-batch's backward reduced the gradients while it ran.
    QVERIFY2(two.out.contains("1 of 1 gradient buckets reduced during the last backward pass"),
             qPrintable(two.out));

    const auto one = lossesOf(root, "one"), parallel = lossesOf(root, "two");
    const int64_t steps = document["training"]["steps"].get<int64_t>();
    QCOMPARE(int64_t(one.size()), steps);
    QCOMPARE(int64_t(parallel.size()), steps); // rank 0 alone recorded, once per step
    const double lossDifference = maxDifference(one, parallel);
    const double weightDifference =
        maxWeightDifference(lastCheckpointOf(root, "one"), lastCheckpointOf(root, "two"));
    qInfo("%s: %lld steps, losses %.6f -> %.6f; max |loss difference| %.3g, max |weight "
          "difference| %.3g",
          stage, static_cast<long long>(steps), one.front(), one.back(), lossDifference,
          weightDifference);
    QVERIFY2(lossDifference < 1e-5, qPrintable(QString::number(lossDifference)));
    // AdamW divides each update by its gradient's own RMS: float32 rounding in a gradient near
    // zero (summed in another order by two ranks) can move that weight by a small share of lr.
    QVERIFY2(weightDifference < 5e-5, qPrintable(QString::number(weightDifference)));
    losses = one;
}

// A pretraining project: patterned tokens a tiny model learns.
void writeTokens(const fs::path& root, size_t count)
{
    std::ofstream tokens(root / "tokens/ids.u32", std::ios::binary);
    for (size_t i = 0; i < count; ++i) {
        const uint32_t id = uint32_t((i * 7 + i / 5) % 50);
        tokens.write(reinterpret_cast<const char*>(&id), sizeof id);
    }
}

nlohmann::json pretrainDocument(int64_t steps)
{
    return {{"stage", "pretrain"},
            {"data", {{"train", "tokens/ids.u32"}}},
            {"model",
             {{"flavour", "llama"},
              {"vocab_size", 50},
              {"context_length", 16},
              {"layers", 2},
              {"heads", 4},
              {"kv_heads", 2},
              {"dim", 32}}},
            {"optimizer", {{"lr", 0.005}, {"warmup_steps", 1}}},
            {"training",
             {{"steps", steps},
              {"grad_accumulation", 2},
              {"seed", 11},
              {"threads", 1},
              {"precision", "fp32"}}}};
}

// A project at `root`, made by `rlhf init`, with 8192 patterned tokens in tokens/ids.u32.
void initTokenProject(const fs::path& root)
{
    RUN_OK(runCli({"init", QString::fromStdString(root.string())}));
    writeTokens(root, 8192);
}

// A pretraining run that outlasts any test, saving every 2 steps: to be stopped or killed.
nlohmann::json endlessPretrainDocument()
{
    nlohmann::json document = pretrainDocument(100000);
    document["training"]["batch_size"] = 2;
    document["training"]["checkpoint_every"] = 2;
    return document;
}

} // namespace

class TestDataParallel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void pretrainTwoRanksEqualOne()
    {
        QTemporaryDir dir;
        const fs::path root = dir.filePath("project").toStdString();
        initTokenProject(root);
        std::vector<double> losses;
        compareOneAndTwoProcesses(root, pretrainDocument(5), 8, "pretrain", losses);
        QVERIFY(losses.back() < losses.front()); // and it learns
    }

    // The fine-tuning stages share each global batch out through BatchPlan.
    void sftTwoRanksEqualOne()
    {
        const auto losses = compareFineTuning("sft", "arith-sft");
        QVERIFY(losses.back() < losses.front()); // and it learns
    }
    void rewardTwoRanksEqualOne() { compareFineTuning("reward", "arith-pairs"); }
    void dpoTwoRanksEqualOne() { compareFineTuning("dpo", "arith-pairs"); }

    // PPO over 2 ranks: each generates its own slice of the job's prompts, rank 0 records all
    // of them, and the statistics are the job's: every logged rollout metric is the mean over
    // both ranks' rollouts as recorded, and the adaptive KL coefficient follows the job's KL.
    void ppoTwoRanksShareTheBatch()
    {
        QTemporaryDir dir;
        const fs::path root = dir.filePath("project").toStdString();
        nlohmann::json document = rlDocument(root, "ppo");
        document["kl"] = {{"estimator", "k1"}, {"coef", 0.05}, {"target", 0.02}, {"horizon", 20}};
        document["value"] = {{"init", "policy"}};
        QString output;
        const auto run = trainTwoRanks(root, document, "two", &output);
        QVERIFY2(output.contains("1 of 1 gradient buckets reduced during the last backward pass"),
                 qPrintable(output));
        QVERIFY(overlapsBackward(root, document));
        rlhf::store::Database database(root / "project.sqlite");
        const int64_t perStep = 2 * document["training"]["batch_size"].get<int64_t>();
        double klCoef = 0.05;
        const auto coefficients = database.metricSeries(run.id, "rl/kl_coef");
        for (const int64_t step : {1, 2, 3}) {
            const auto rows = checkRolloutMetrics(database, run.id, step, perStep);
            double kl = 0;
            for (const auto& row : rows)
                kl += row.kl / double(rows.size());
            klCoef *= 1.0 + std::clamp(kl / 0.02 - 1.0, -0.2, 0.2) * double(rows.size()) / 20.0;
            QVERIFY2(std::abs(coefficients[size_t(step - 1)].value - klCoef) < 1e-9 * klCoef,
                     qPrintable(QString("step %1: kl_coef %2, from the job's KL %3")
                                    .arg(step)
                                    .arg(coefficients[size_t(step - 1)].value)
                                    .arg(klCoef)));
        }
        QVERIFY(std::abs(klCoef - 0.05) > 1e-4); // the coefficient did move
        const auto saved = rlhf::model::loadTrainerState(lastCheckpointOf(root, "two"));
        QCOMPARE(saved["kl_coef"].get<double>(), coefficients.back().value);
        QCOMPARE(database.metricSeries(run.id, "eval/accuracy_greedy").size(), size_t(1));
    }

    // GRPO over 2 ranks: a prompt's group stays on one rank, so the group advantages are
    // exact, and the logged statistics are again the job's.
    void grpoTwoRanksShareTheBatch()
    {
        QTemporaryDir dir;
        const fs::path root = dir.filePath("project").toStdString();
        nlohmann::json document = rlDocument(root, "grpo");
        document["rollout"]["group_size"] = 3;
        const auto run = trainTwoRanks(root, document);
        rlhf::store::Database database(root / "project.sqlite");
        const int64_t perStep = 2 * 3 * document["training"]["batch_size"].get<int64_t>();
        for (const int64_t step : {1, 2, 3})
            checkRolloutMetrics(database, run.id, step, perStep);
    }

    // Two ranks started as torchrun would; rank 1 is killed with SIGKILL after rank 0 saved a
    // checkpoint: rank 0 fails naming rank 1 within the timeout, and the run resumes from its
    // last checkpoint in one process with the same global batch exactly as in two.
    void killedRankIsNamed()
    {
        QTemporaryDir dir;
        const fs::path root = dir.filePath("project").toStdString();
        fs::path checkpoint;
        loseRankOne(root, SIGKILL, "lost rank 1 (process ", &checkpoint);
        if (QTest::currentTestFailed()) return;
        const int64_t saved = rlhf::model::loadTrainerState(checkpoint)["step"].get<int64_t>();
        // Resumed twice: in one process with batch 4, and in two with batch 2 each.
        nlohmann::json document = endlessPretrainDocument();
        document["resume_from"] = fs::relative(checkpoint, root).string();
        document["training"]["steps"] = saved + 3;
        const QString project = QString::fromStdString(root.string());
        for (const auto& [name, processes] : {std::pair("one", 1), std::pair("two", 2)}) {
            document["name"] = name;
            document["training"]["batch_size"] = 4 / processes;
            const fs::path file = root / (std::string(name) + ".json");
            writeJsonFile(file, document);
            const Result resumed =
                runCli({"train", "-p", project, "--nproc", QString::number(processes),
                        QString::fromStdString(file.string())});
            RUN_OK(resumed);
            QVERIFY2(resumed.out.contains("resumed at step " + QString::number(saved)),
                     qPrintable(resumed.out));
        }
        rlhf::store::Database database(root / "project.sqlite");
        const auto one = database.metricSeries(runNamed(root, "one").id, "train/loss");
        QCOMPARE(one.size(), size_t(3));
        QCOMPARE(one.front().step, saved + 1);
        const double difference = maxDifference(lossesOf(root, "one"), lossesOf(root, "two"));
        qInfo("resumed at step %lld: losses %.6f -> %.6f in 1 process, max |difference| to 2 "
              "ranks %.3g",
              static_cast<long long>(saved), one.front().value, one.back().value, difference);
        QVERIFY(difference < 1e-5);
    }

    void hungRankTimesOut()
    {
        QTemporaryDir dir;
        loseRankOne(dir.filePath("project").toStdString(), SIGSTOP, "rank 1 stopped answering");
    }

    // Under `rlhf train --nproc 2`: SIGINT to the launcher stops both ranks after the same
    // step (the run is recorded as stopped, with a checkpoint there); SIGKILL to one rank makes
    // the launcher stop the other and exit 1 naming the killed rank.
    void launcherStopsAndNamesRanks()
    {
        QTemporaryDir dir;
        const fs::path root = dir.filePath("project").toStdString();
        const QString project = QString::fromStdString(root.string());
        initTokenProject(root);
        nlohmann::json document = endlessPretrainDocument();
        for (const char* name : {"stopped", "killed"}) {
            document["name"] = name;
            writeJsonFile(root / (std::string(name) + ".json"), document);
        }
        auto start = [&](const char* name, const fs::path& firstCheckpoint) {
            auto launcher = std::make_unique<QProcess>();
            launcher->start(rlhfBinary(), {"train", "-p", project, "--nproc", "2",
                                           QString::fromStdString(
                                               (root / (std::string(name) + ".json")).string())});
            // Returns once rank 0 has saved its first checkpoint: both ranks are training.
            QElapsedTimer waited;
            waited.start();
            while (!fs::exists(firstCheckpoint) && waited.elapsed() < 120000)
                QTest::qWait(50);
            return launcher;
        };

        auto stopped = start("stopped", root / "checkpoints" / "run-1" / "step-000002");
        ::kill(pid_t(stopped->processId()), SIGINT);
        QVERIFY(stopped->waitForFinished(60000));
        const QString stoppedOut = QString::fromUtf8(stopped->readAllStandardOutput());
        QVERIFY2(stopped->exitCode() == 0,
                 qPrintable(stoppedOut + stopped->readAllStandardError()));
        QVERIFY2(stoppedOut.contains("run 1 stopped after"), qPrintable(stoppedOut));
        QVERIFY(runNamed(root, "stopped").status == rlhf::store::RunStatus::Stopped);

        auto killed = start("killed", root / "checkpoints" / "run-2" / "step-000002");
        // The launcher's children are the ranks; rank 1 is the one whose RANK is 1.
        QFile list(QString("/proc/%1/task/%1/children").arg(killed->processId()));
        QVERIFY(list.open(QIODevice::ReadOnly));
        pid_t rankOne = 0;
        for (const QByteArray& child : list.readAll().trimmed().split(' ')) {
            QFile environment("/proc/" + child + "/environ");
            QVERIFY(environment.open(QIODevice::ReadOnly));
            if (environment.readAll().split('\0').contains("RANK=1")) rankOne = child.toInt();
        }
        QVERIFY(rankOne > 0);
        ::kill(rankOne, SIGKILL);
        QVERIFY(killed->waitForFinished(60000));
        const QString err = QString::fromUtf8(killed->readAllStandardError());
        QCOMPARE(killed->exitCode(), 1);
        QVERIFY2(err.contains("rlhf: train --nproc 2: rank 1 was killed by signal 9"),
                 qPrintable(err));
        QVERIFY(runNamed(root, "killed").status == rlhf::store::RunStatus::Failed);
    }

    // One GPU per process on a machine, counted from the chosen one; the CPU stays the CPU.
    void gpuPerLocalRank()
    {
        using rlhf::train::Device;
        using rlhf::train::DeviceChoice;
        using rlhf::train::deviceForLocalRank;
        QVERIFY((deviceForLocalRank({Device::Auto, 0}, 3) == DeviceChoice{Device::Auto, 3}));
        QVERIFY((deviceForLocalRank({Device::Cuda, 2}, 1) == DeviceChoice{Device::Cuda, 3}));
        QVERIFY((deviceForLocalRank({Device::Cpu, 0}, 5) == DeviceChoice{Device::Cpu, 0}));
    }

    void launcherVariables()
    {
        using rlhf::dist::rendezvousFromEnvironment;
        auto from = [](std::map<std::string, std::string> variables) {
            return rendezvousFromEnvironment([variables](const char* name) -> const char* {
                const auto found = variables.find(name);
                return found == variables.end() ? nullptr : found->second.c_str();
            });
        };
        QVERIFY(!from({}).has_value());
        // rank, world size, local rank, local world size, master address and port, in order.
        auto fields = [](const std::optional<rlhf::dist::Rendezvous>& job) {
            return std::tuple(job->rank, job->worldSize, job->localRank, job->localWorldSize,
                              job->masterAddress, int(job->masterPort));
        };
        QVERIFY(fields(from({{"RANK", "3"},
                             {"WORLD_SIZE", "4"},
                             {"LOCAL_RANK", "1"},
                             {"LOCAL_WORLD_SIZE", "2"},
                             {"MASTER_ADDR", "10.0.0.1"},
                             {"MASTER_PORT", "29501"}})) ==
                std::tuple(3, 4, 1, 2, std::string("10.0.0.1"), 29501));
        QVERIFY(fields(from({{"SLURM_PROCID", "5"},
                             {"SLURM_NTASKS", "8"},
                             {"SLURM_LOCALID", "1"},
                             {"SLURM_NTASKS_PER_NODE", "4"},
                             {"SLURM_JOB_NODELIST", "gpu07,gpu08"}})) ==
                std::tuple(5, 8, 1, 4, std::string("gpu07"), 29500));
        auto refusal = [&](std::map<std::string, std::string> variables) {
            try {
                from(std::move(variables));
            } catch (const std::exception& error) {
                return QString(error.what());
            }
            return QString();
        };
        QCOMPARE(refusal({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}}),
                 QString("RANK=2 is not below WORLD_SIZE=2"));
        QCOMPARE(refusal({{"RANK", "x"}, {"WORLD_SIZE", "2"}}),
                 QString("RANK=\"x\": expected an integer >= 0"));
        QCOMPARE(refusal({{"SLURM_PROCID", "0"},
                          {"SLURM_NTASKS", "2"},
                          {"SLURM_JOB_NODELIST", "gpu[07-08]"}}),
                 QString("MASTER_ADDR is not set (nor SLURM_LAUNCH_NODE_IPADDR, nor a plain "
                         "SLURM_JOB_NODELIST): where does rank 0 listen?"));
    }

private:
    // A PPO or GRPO document on the arithmetic task's prompts, rewarded by its exact-answer rule
    // and, so that scores vary from the first step, an odd digit anywhere in the reply.
    static nlohmann::json rlDocument(const fs::path& root, const char* stage)
    {
        const std::string init = fixtures::writeArithmeticProject(root);
        return {{"stage", stage},
                {"init", init},
                {"data", {{"dataset", "arith-prompts"}, {"train", "train"}, {"val", "test"}}},
                {"reward",
                 {{"rules",
                   {{{"rule", "exact_answer"}, {"weight", 1.0}},
                    {{"rule", "regex"}, {"pattern", "[13579]"}, {"weight", 0.5}}}}}},
                {"rollout", {{"max_new_tokens", 4}}},
                {"policy", {{"epochs", 2}, {"minibatch_size", 2}}},
                {"eval", {{"prompts", 6}}},
                {"optimizer", {{"lr", 0.001}, {"warmup_steps", 1}}},
                {"training",
                 {{"steps", 3},
                  {"batch_size", 3},
                  {"eval_every", 0},
                  {"seed", 5},
                  {"threads", 1},
                  {"precision", "fp32"}}}};
    }

    // Trains `document` as run `name` under `rlhf train --nproc 2`; returns the run and, in
    // `output`, what rank 0 printed.
    static rlhf::store::Run trainTwoRanks(const fs::path& root, nlohmann::json document,
                                          const std::string& name = "two",
                                          QString* output = nullptr)
    {
        document["name"] = name;
        const fs::path file = root / (name + ".json");
        writeJsonFile(file, document);
        const Result two = runCli({"train", "-p", QString::fromStdString(root.string()), "--nproc",
                                   "2", QString::fromStdString(file.string())});
        if (two.exitCode != 0) throw std::runtime_error((two.out + two.err).toStdString());
        if (output) *output = two.out;
        return runNamed(root, name);
    }

    // Run "two" of `document` reduced its gradients during backward; trained again with the
    // reduction after backward it ends with the same weights (two ranks sum in either order
    // exactly: the same bits).
    static bool overlapsBackward(const fs::path& root, nlohmann::json document)
    {
        document["training"]["overlap_gradient_reduction"] = false;
        QString after;
        trainTwoRanks(root, document, "after", &after);
        const double difference =
            maxWeightDifference(lastCheckpointOf(root, "two"), lastCheckpointOf(root, "after"));
        qInfo("reduced during backward or after it: max |weight difference| %g", difference);
        return difference == 0 &&
               after.contains("0 of 1 gradient buckets reduced during the last backward pass");
    }

    // Step `step`'s recorded rollouts: `count` of them (both ranks'), numbered in order, and
    // the step's rl/score, rl/kl and rl/response_length are their means.
    static std::vector<rlhf::store::Rollout>
    checkRolloutMetrics(const rlhf::store::Database& database, rlhf::store::Id run, int64_t step,
                        int64_t count)
    {
        const auto rows = database.rollouts(run, step);
        if (int64_t(rows.size()) != count)
            throw std::runtime_error("step " + std::to_string(step) + ": " +
                                     std::to_string(rows.size()) + " rollouts recorded, not " +
                                     std::to_string(count));
        double score = 0, kl = 0, length = 0;
        for (size_t i = 0; i < rows.size(); ++i) {
            if (rows[i].index != int64_t(i)) throw std::runtime_error("rollouts out of order");
            score += rows[i].score / double(count);
            kl += rows[i].kl / double(count);
            length += double(rows[i].tokenKl.size()) / double(count);
        }
        auto logged = [&](const char* name) {
            for (const auto& sample : database.metricSeries(run, name))
                if (sample.step == step) return sample.value;
            throw std::runtime_error(std::string("no ") + name);
        };
        const std::vector<std::pair<const char*, double>> expected{
            {"rl/score", score}, {"rl/kl", kl}, {"rl/response_length", length}};
        for (const auto& [name, value] : expected)
            if (std::abs(logged(name) - value) > 1e-6 * std::max(1.0, std::abs(value)))
                throw std::runtime_error("step " + std::to_string(step) + ": " + name + " " +
                                         std::to_string(logged(name)) + ", the job's mean " +
                                         std::to_string(value));
        qInfo("step %lld: %zu rollouts, score %.3f, kl %.4f, length %.2f",
              static_cast<long long>(step), rows.size(), score, kl, length);
        return rows;
    }

    // Reward and DPO start at ln 2 and move little in 4 steps: only the equivalence is checked.
    std::vector<double> compareFineTuning(const char* stage, const char* dataset)
    {
        QTemporaryDir dir;
        const fs::path root = dir.filePath("project").toStdString();
        const std::string init = fixtures::writeArithmeticProject(root);
        const nlohmann::json document = {{"stage", stage},
                                         {"init", init},
                                         {"data", {{"dataset", dataset}, {"train", "train"}}},
                                         {"optimizer", {{"lr", 0.003}, {"warmup_steps", 1}}},
                                         {"training",
                                          {{"steps", 4},
                                           {"grad_accumulation", 2},
                                           {"seed", 5},
                                           {"threads", 1},
                                           {"precision", "fp32"}}}};
        std::vector<double> losses;
        compareOneAndTwoProcesses(root, document, 6, stage, losses);
        return losses;
    }

    // Starts two ranks as torchrun would in a new project at `root`, sends `signal` to rank 1
    // once rank 0 has saved twice, and checks that rank 0 fails with `message` within the
    // timeout (measured, printed), the run recorded as failed and its last checkpoint intact,
    // which goes to `lastCheckpoint`.
    void loseRankOne(const fs::path& root, int signal, const char* message,
                     fs::path* lastCheckpoint = nullptr)
    {
        const QString project = QString::fromStdString(root.string());
        initTokenProject(root);
        nlohmann::json document = endlessPretrainDocument();
        document["name"] = "doomed";
        writeJsonFile(root / "doomed.json", document);
        const int timeoutSeconds = 5;

        const QString port = QString::number(freePort());
        std::vector<std::unique_ptr<QProcess>> ranks;
        for (int rank = 0; rank < 2; ++rank) {
            auto process = std::make_unique<QProcess>();
            QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
            environment.insert("RANK", QString::number(rank));
            environment.insert("WORLD_SIZE", "2");
            environment.insert("MASTER_ADDR", "127.0.0.1");
            environment.insert("MASTER_PORT", port);
            process->setProcessEnvironment(environment);
            process->start(rlhfBinary(), {"train", "-p", project, "--dist-timeout",
                                          QString::number(timeoutSeconds),
                                          QString::fromStdString((root / "doomed.json").string())});
            QVERIFY(process->waitForStarted());
            ranks.push_back(std::move(process));
        }
        // Wait for rank 0 to have saved twice (the second save proves the barrier works).
        const fs::path checkpoints = root / "checkpoints";
        QTRY_VERIFY_WITH_TIMEOUT(fs::exists(checkpoints / "run-1" / "step-000004"), 120000);
        ::kill(pid_t(ranks[1]->processId()), signal);
        const auto killed = std::chrono::steady_clock::now();
        QVERIFY(ranks[0]->waitForFinished((timeoutSeconds + 30) * 1000));
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
        const QString err = QString::fromUtf8(ranks[0]->readAllStandardError());
        ::kill(pid_t(ranks[1]->processId()), SIGKILL); // a stopped rank 1 ends here
        QVERIFY(ranks[1]->waitForFinished(10000));
        qInfo("rank 0 failed %.2f s after signal %d to rank 1 (timeout %d s): %s", seconds, signal,
              timeoutSeconds, qPrintable(err));
        QCOMPARE(ranks[0]->exitStatus(), QProcess::NormalExit);
        QCOMPARE(ranks[0]->exitCode(), 1);
        QVERIFY2(err.contains(message), qPrintable(err));
        QVERIFY(seconds < timeoutSeconds + 5); // + the 3 s in which survivors mark themselves

        rlhf::store::Database database(root / "project.sqlite");
        const auto run = runNamed(root, "doomed");
        QVERIFY(run.status == rlhf::store::RunStatus::Failed);
        const auto checkpoint = database.latestCheckpoint(run.id);
        QVERIFY(checkpoint.has_value());
        const fs::path folder = root / checkpoint->path;
        QCOMPARE(rlhf::model::loadTrainerState(folder)["step"].get<int64_t>(), checkpoint->step);
        QVERIFY(!rlhf::model::readTensors(folder / "model.safetensors").empty());
        if (lastCheckpoint) *lastCheckpoint = folder;
    }
};

QTEST_GUILESS_MAIN(TestDataParallel)
#include "test_data_parallel.moc"
