// The defences against over-optimising a learned reward (reward_shaping.h): ensemble mean,
// lower confidence bound and minimum, batch normalisation and clipping against numbers worked
// out by hand; the "reward" block's fields read strictly; and a real PPO run on the arithmetic
// project scoring with an ensemble of two reward checkpoints that disagree, normalised per
// batch: it logs the ensemble's spread, and its scores average to 0 every step.
#include "core/model/tensor_io.h"
#include "core/store/project.h"
#include "core/train/reward_shaping.h"
#include "core/train/rl_config.h"
#include "core/train/scalar_model.h"
#include "core/train/stage_runner.h"
#include "core/util/error.h"
#include "tests/support/arithmetic_project.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <nlohmann/json.hpp>

#include <cmath>

using namespace rlhf;
namespace fs = std::filesystem;

namespace {

// Three models (rows) scoring four replies (columns).
at::Tensor threeModels()
{
    return at::tensor(std::vector<double>{1, 2, 0, 4,  //
                                          3, 2, 0, -2, //
                                          2, 2, 3, 1},
                      at::kDouble)
        .view({3, 4});
}

std::vector<double> values(const at::Tensor& tensor)
{
    const auto flat = tensor.to(at::kDouble).contiguous();
    return {flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel()};
}

// Within 1e-7: normalising adds 1e-8 to the standard deviation.
void compareNear(const std::vector<double>& actual, const std::vector<double>& expected)
{
    QCOMPARE(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i)
        QVERIFY2(std::abs(actual[i] - expected[i]) < 1e-7,
                 (std::to_string(i) + ": " + std::to_string(actual[i]) + " vs " +
                  std::to_string(expected[i]))
                     .c_str());
}

std::string errorOf(const std::function<void()>& body)
{
    try {
        body();
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

nlohmann::json ppoDocument(const std::string& init, const nlohmann::json& reward)
{
    return {{"stage", "ppo"},
            {"init", init},
            {"data", {{"dataset", "arith-prompts"}, {"train", "train"}}},
            {"optimizer", {{"lr", 0.001}, {"warmup_steps", 0}}},
            {"training",
             {{"steps", 2},
              {"batch_size", 4},
              {"seed", 5},
              {"threads", 1},
              {"precision", "fp32"},
              {"log_every", 1},
              {"eval_every", 0},
              {"checkpoint_every", 0}}},
            {"reward", reward},
            {"value", {{"init", "policy"}}},
            {"rollout", {{"max_new_tokens", 4}}},
            {"eval", {{"prompts", 0}}}};
}

// A copy of the checkpoint at `from` with a head of weight `scale` * (i % 3 - 1) and bias 0.
std::string rewardCheckpoint(const fs::path& root, const std::string& from, const std::string& to,
                             double scale)
{
    fs::copy(root / from, root / to, fs::copy_options::recursive);
    const auto config = model::loadCheckpointConfig(root / to);
    auto weight = at::empty({1, config.dim});
    for (int64_t i = 0; i < config.dim; ++i)
        weight[0][i] = scale * double(i % 3 - 1);
    model::writeTensors(root / to / train::scalarHeadFile,
                        {{"score.weight", weight}, {"score.bias", at::zeros({1})}});
    return to;
}

} // namespace

class TestRewardShaping : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void ensembleAggregatesByHand()
    {
        // Column means 2, 2, 1, 1; population stds sqrt(2/3), 0, sqrt(6/3), sqrt(18/3).
        const double s0 = std::sqrt(2.0 / 3), s2 = std::sqrt(2.0), s3 = std::sqrt(6.0);
        train::RewardShaping shaping;
        auto mean = train::shapeRewardScores(threeModels(), shaping);
        compareNear(values(mean.scores), {2, 2, 1, 1});
        compareNear(values(mean.spread), {s0, 0, s2, s3});
        shaping.aggregate = train::EnsembleAggregate::Lcb;
        shaping.lcbK = 0.5;
        compareNear(values(train::shapeRewardScores(threeModels(), shaping).scores),
                    {2 - 0.5 * s0, 2, 1 - 0.5 * s2, 1 - 0.5 * s3});
        shaping.aggregate = train::EnsembleAggregate::Min;
        compareNear(values(train::shapeRewardScores(threeModels(), shaping).scores), {1, 2, 0, -2});
        // One model: its own scores, no spread.
        const auto one = train::shapeRewardScores(threeModels().narrow(0, 0, 1), {});
        compareNear(values(one.scores), {1, 2, 0, 4});
        compareNear(values(one.spread), {0, 0, 0, 0});
    }

    void normalisedThenClippedByHand()
    {
        // Means 2, 2, 1, 1: batch mean 1.5, unbiased std sqrt(1/3) -> +-0.5 / sqrt(1/3).
        train::RewardShaping shaping;
        shaping.normalize = train::RewardNormalization::Batch;
        const double z = 0.5 / std::sqrt(1.0 / 3.0);
        compareNear(values(train::shapeRewardScores(threeModels(), shaping).scores),
                    {z, z, -z, -z});
        shaping.clip = 0.5; // z = 0.866 is clipped, after normalising
        compareNear(values(train::shapeRewardScores(threeModels(), shaping).scores),
                    {0.5, 0.5, -0.5, -0.5});
        shaping.normalize = train::RewardNormalization::None;
        shaping.clip = 1.5; // raw means clipped: 2 -> 1.5
        compareNear(values(train::shapeRewardScores(threeModels(), shaping).scores),
                    {1.5, 1.5, 1, 1});
    }

    void rewardBlockIsReadStrictly()
    {
        const nlohmann::json reward = {{"model", "rm-a"},      {"ensemble", {"rm-b", "rm-c"}},
                                       {"aggregate", "lcb"},   {"lcb_k", 2.0},
                                       {"normalize", "batch"}, {"clip", 4.0}};
        const auto config =
            train::rlConfigFromJson(ppoDocument("init", reward), store::RunStage::Ppo, "ppo.json");
        QCOMPARE(config.rewardEnsemble, (std::vector<std::string>{"rm-b", "rm-c"}));
        QVERIFY(config.rewardShaping.aggregate == train::EnsembleAggregate::Lcb);
        QCOMPARE(config.rewardShaping.lcbK, 2.0);
        QVERIFY(config.rewardShaping.normalize == train::RewardNormalization::Batch);
        QCOMPARE(config.rewardShaping.clip, 4.0);
        const auto written = train::toJson(config);
        QCOMPARE(written["reward"]["aggregate"].get<std::string>(), std::string("lcb"));
        QCOMPARE(written["reward"]["ensemble"].size(), size_t(2));

        auto refused = [&](const nlohmann::json& bad) {
            return errorOf([&] {
                train::rlConfigFromJson(ppoDocument("init", bad), store::RunStage::Ppo, "ppo.json");
            });
        };
        const auto word = refused({{"model", "rm"}, {"aggregate", "median"}});
        QVERIFY2(word.find("reward.aggregate") != std::string::npos &&
                     word.find("mean, lcb or min") != std::string::npos,
                 word.c_str());
        const auto clip = refused({{"model", "rm"}, {"clip", -1}});
        QVERIFY2(clip.find("clip") != std::string::npos, clip.c_str());
        const auto alone =
            refused({{"rules", {{{"rule", "exact_answer"}}}}, {"ensemble", {"rm-b"}}});
        QVERIFY2(alone.find("an ensemble needs reward.model") != std::string::npos, alone.c_str());
    }

    void ppoScoresWithANormalisedEnsemble()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto init = fixtures::writeArithmeticProject(root, 3);
        const auto a = rewardCheckpoint(root, init, "rm-a", 0.5);
        const auto b = rewardCheckpoint(root, init, "rm-b", -0.25); // mostly the opposite
        const auto document = ppoDocument(
            init, {{"model", a}, {"ensemble", {b}}, {"normalize", "batch"}, {"aggregate", "mean"}});
        train::StageObserver quiet;
        train::StopToken stop;
        const auto report = train::runStage(root, document, "ppo.json", quiet, stop);
        QCOMPARE(report.status, std::string("completed"));
        store::Project project = store::Project::open(root);
        const auto spread = project.database().metricSeries(report.runId, "rl/reward_ensemble_std");
        const auto score = project.database().metricSeries(report.runId, "rl/score");
        QCOMPARE(spread.size(), size_t(2));
        QCOMPARE(score.size(), size_t(2));
        for (size_t i = 0; i < 2; ++i) {
            QVERIFY2(spread[i].value > 1e-4, std::to_string(spread[i].value).c_str());
            QVERIFY2(std::abs(score[i].value) < 1e-6, std::to_string(score[i].value).c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestRewardShaping)
#include "test_reward_shaping.moc"
