// The RL toolbox's options through the real PPO and GRPO stages on a tiny seeded model of the
// arithmetic project: each GRPO advantage estimator (with DAPO's dynamic sampling, clip-higher and
// each loss aggregation) and PPO with clip-higher run to completion and log the health signals
// the dashboard charts and the health checks read, finite and in their ranges. The formulas
// themselves are checked by hand in test_rl_algorithms.
#include "core/store/project.h"
#include "core/train/stage_runner.h"
#include "tests/support/arithmetic_project.h"

#include <QtTest>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

using namespace rlhf;
namespace fs = std::filesystem;

namespace {

// A few steps of `stage` from the project's random tiny Llama. Its replies are stray bytes, so
// the rule reward is 0.5 for a reply with an upper-case letter and 0 otherwise: some groups
// spread, many do not.
nlohmann::json rlDocument(const char* stage, const std::string& init)
{
    return {{"stage", stage},
            {"init", init},
            {"data", {{"dataset", "arith-prompts"}, {"train", "train"}}},
            {"optimizer", {{"lr", 0.01}, {"warmup_steps", 0}}},
            {"training",
             {{"steps", 3},
              {"batch_size", 2},
              {"seed", 11},
              {"threads", 1},
              {"precision", "fp32"},
              {"log_every", 1},
              {"eval_every", 0},
              {"checkpoint_every", 0}}},
            {"reward",
             {{"rules",
               {{{"rule", "exact_answer"}, {"weight", 1.0}},
                {{"rule", "regex"}, {"pattern", "[A-Z]"}, {"weight", 0.5}}}}}},
            {"rollout", {{"max_new_tokens", 4}}},
            {"eval", {{"prompts", 0}}}};
}

std::vector<double> series(const fs::path& root, int64_t run, const char* metric)
{
    store::Project project = store::Project::open(root);
    std::vector<double> values;
    for (const auto& sample : project.database().metricSeries(run, metric))
        values.push_back(sample.value);
    return values;
}

// Every step logged `metric` (steps 0: at least one did), each value finite and within
// [low, high].
QString checkSeries(const fs::path& root, int64_t run, const char* metric, double low, double high,
                    size_t steps = 3)
{
    const auto values = series(root, run, metric);
    if (steps > 0 ? values.size() != steps : values.empty())
        return QStringLiteral("%1: %2 points, expected %3")
            .arg(metric)
            .arg(values.size())
            .arg(steps);
    for (const double value : values)
        if (!(std::isfinite(value) && value >= low && value <= high))
            return QStringLiteral("%1: %2 outside [%3, %4]")
                .arg(metric)
                .arg(value)
                .arg(low)
                .arg(high);
    return {};
}

#define EXPECT_SERIES(...)                                                                         \
    do {                                                                                           \
        const QString problem = checkSeries(__VA_ARGS__);                                          \
        QVERIFY2(problem.isEmpty(), qPrintable(problem));                                          \
    } while (false)

} // namespace

class TestRlStageOptions : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    fs::path m_root;
    std::string m_init;

    int64_t run(const nlohmann::json& document)
    {
        train::StageObserver quiet;
        train::StopToken stop;
        const auto report = train::runStage(m_root, document, "rl.json", quiet, stop);
        if (report.status != "completed") qWarning("status %s", report.status.c_str());
        return report.status == "completed" ? report.runId : 0;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_root = fs::path(m_dir.path().toStdString()) / "project";
        m_init = fixtures::writeArithmeticProject(m_root);
    }

    void grpoRunsEveryAdvantageEstimator()
    {
        const char* aggregations[] = {"token_mean", "sequence_mean", "sequence_sum_norm",
                                      "sequence_sum_norm"};
        const char* advantages[] = {"grpo", "rloo", "dr_grpo", "reinforce++"};
        for (int i = 0; i < 4; ++i) {
            nlohmann::json document = rlDocument("grpo", m_init);
            document["rollout"]["group_size"] = 4;
            document["policy"] = {{"advantage", advantages[i]},
                                  {"loss_aggregation", aggregations[i]},
                                  {"clip_range_high", 0.28},
                                  {"epochs", 2}};
            const int64_t id = run(document);
            QVERIFY2(id > 0, advantages[i]);
            EXPECT_SERIES(m_root, id, "rl/zero_spread_groups", 0, 1);
            EXPECT_SERIES(m_root, id, "rl/truncation_rate", 0, 1);
            EXPECT_SERIES(m_root, id, "rl/clip_fraction_low", 0, 1);
            EXPECT_SERIES(m_root, id, "rl/clip_fraction_high", 0, 1);
            EXPECT_SERIES(m_root, id, "rl/ratio_p05", 0, 100);
            EXPECT_SERIES(m_root, id, "rl/ratio_p95", 0, 100);
            const auto p05 = series(m_root, id, "rl/ratio_p05");
            const auto p95 = series(m_root, id, "rl/ratio_p95");
            for (size_t s = 0; s < p05.size(); ++s)
                QVERIFY(p05[s] <= p95[s]);
            EXPECT_SERIES(m_root, id, "rl/kl_p50", -100, 100);
            EXPECT_SERIES(m_root, id, "rl/kl_p95", -100, 100);
            EXPECT_SERIES(m_root, id, "rl/policy_loss", -100, 100);
            // eos + truncation = 1 at every step
            const auto eos = series(m_root, id, "rl/eos_rate");
            const auto truncated = series(m_root, id, "rl/truncation_rate");
            for (size_t s = 0; s < eos.size(); ++s)
                QVERIFY(std::abs(eos[s] + truncated[s] - 1.0) < 1e-12);
            QVERIFY(series(m_root, id, "rl/dropped_groups").empty()); // dynamic sampling off
        }
    }

    // REINFORCE++ needs no group: one reply per prompt, no zero-spread metric (every group of one
    // agrees with itself).
    void reinforcePlusPlusWithOneReplyPerPrompt()
    {
        nlohmann::json document = rlDocument("grpo", m_init);
        document["rollout"]["group_size"] = 1;
        document["policy"] = {{"advantage", "reinforce++"}, {"gamma", 0.9}};
        const int64_t id = run(document);
        QVERIFY(id > 0);
        QVERIFY(series(m_root, id, "rl/zero_spread_groups").empty());
        EXPECT_SERIES(m_root, id, "rl/score", 0, 1.5);
    }

    // Dynamic sampling: the trained batch stays batch_size x group_size whatever was dropped,
    // extra prompts stay within 3 x batch_size, and the rollouts stored are the batch's.
    void dynamicSamplingKeepsTheBatchFull()
    {
        nlohmann::json document = rlDocument("grpo", m_init);
        document["rollout"]["group_size"] = 4;
        document["policy"] = {{"dynamic_sampling", true}};
        const int64_t id = run(document);
        QVERIFY(id > 0);
        EXPECT_SERIES(m_root, id, "rl/extra_prompts", 0, 6);
        EXPECT_SERIES(m_root, id, "rl/dropped_groups", 0, 8);
        const auto zero = series(m_root, id, "rl/zero_spread_groups");
        const auto extra = series(m_root, id, "rl/extra_prompts");
        const auto dropped = series(m_root, id, "rl/dropped_groups");
        store::Project project = store::Project::open(m_root);
        for (size_t s = 0; s < zero.size(); ++s) {
            qInfo("step %zu: %.0f%% zero-spread groups, %.0f extra prompts, %.0f dropped", s + 1,
                  100 * zero[s], extra[s], dropped[s]);
            // no zero-spread group at all: nothing drawn, nothing dropped
            if (zero[s] == 0) QVERIFY(extra[s] == 0 && dropped[s] == 0);
            QCOMPARE(project.database().rollouts(id, int64_t(s) + 1).size(), size_t(8));
        }
    }

    // A reward no reply earns: every group agrees, the 3 x batch_size extra prompts are all
    // drawn, and the first dropped groups fill the batch (2 of the 8 sampled).
    void dynamicSamplingRunsOutOfDraws()
    {
        nlohmann::json document = rlDocument("grpo", m_init);
        document["reward"] = {{"rules", {{{"rule", "exact_answer"}, {"weight", 1.0}}}}};
        document["rollout"]["group_size"] = 4;
        document["policy"] = {{"dynamic_sampling", true}};
        document["training"]["steps"] = 1;
        const int64_t id = run(document);
        QVERIFY(id > 0);
        QCOMPARE(series(m_root, id, "rl/zero_spread_groups"), std::vector<double>{1.0});
        QCOMPARE(series(m_root, id, "rl/extra_prompts"), std::vector<double>{6.0});
        QCOMPARE(series(m_root, id, "rl/dropped_groups"), std::vector<double>{6.0});
        QCOMPARE(store::Project::open(m_root).database().rollouts(id, 1).size(), size_t(8));
    }

    void ppoLogsExplainedVarianceAndBothClipFractions()
    {
        nlohmann::json document = rlDocument("ppo", m_init);
        document["value"] = {{"init", "policy"}};
        document["training"]["batch_size"] = 4;
        document["policy"] = {{"clip_range_low", 0.1},
                              {"clip_range_high", 0.3},
                              {"loss_aggregation", "sequence_mean"}};
        const int64_t id = run(document);
        QVERIFY(id > 0);
        // not logged at a step whose returns all agree (nothing to explain)
        EXPECT_SERIES(m_root, id, "rl/value_explained_variance", -1e6, 1, /*steps=*/0);
        EXPECT_SERIES(m_root, id, "rl/clip_fraction_high", 0, 1);
        EXPECT_SERIES(m_root, id, "rl/truncation_rate", 0, 1);
        QVERIFY(series(m_root, id, "rl/zero_spread_groups").empty()); // no groups in PPO
    }
};

QTEST_MAIN(TestRlStageOptions)
#include "test_rl_stage_options.moc"
