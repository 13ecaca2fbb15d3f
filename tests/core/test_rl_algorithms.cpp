// The RL toolbox beside PPO and GRPO, each against numbers worked out by hand (the arithmetic is
// in the comments): RLOO and Dr. GRPO advantages, REINFORCE++'s per-token rewards, discounted
// returns and batch whitening, DAPO's clip-higher and zero-spread groups, the three loss
// aggregations, the health statistics (quantiles, explained variance), and the "policy" block of
// the stage documents that chooses among them.
#include "core/train/rl_config.h"
#include "core/train/rl_losses.h"

#include "tests/support/error_of.h"
#include "tests/support/tensor_expect.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <nlohmann/json.hpp>

#include <cmath>
#include <initializer_list>
#include <vector>

using namespace rlhf::train;
using rlhf::store::RunStage;
using rlhf::testing::errorOf;
using test_support::floats;
using test_support::near;

namespace {

#define EXPECT_NEAR(actual, expected)                                                              \
    QVERIFY2(near(actual, expected),                                                               \
             qPrintable(QStringLiteral("%1, expected %2").arg(actual).arg(expected)))

// A GRPO or PPO document with a reward, as the wizard would write it.
nlohmann::json rlDocument(RunStage stage)
{
    RlConfig config = rlConfigDefaults(stage);
    config.name = "rl";
    config.init = "checkpoints/run-2/step-000100";
    config.rewardModel = "checkpoints/run-3/step-000050";
    return toJson(config);
}

QString problemOf(const nlohmann::json& document, RunStage stage)
{
    return errorOf([&] { rlConfigFromJson(document, stage, "run.json"); });
}

// Six policy log-ratios (old log-probs 0, so ratio = e^logProb): row 0 with advantage +1 and
// three real tokens, row 1 with advantage -1 and two; the rest is padding (ratio 3, A 5).
struct ClipCase {
    at::Tensor logProbs = at::log(floats({1.1f, 1.25f, 0.5f, 3, 0.9f, 0.5f, 3, 3}, {2, 4}));
    at::Tensor oldLogProbs = at::zeros({2, 4});
    at::Tensor advantages = floats({1, 1, 1, 5, -1, -1, 5, 5}, {2, 4});
    at::Tensor mask = floats({1, 1, 1, 0, 1, 1, 0, 0}, {2, 4});
};

} // namespace

class TestRlAlgorithms : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void leaveOneOutBaseline()
    {
        // groups [1, 2, 3] and [0, 0, 6], G = 3: A_i = r_i - (sum - r_i) / 2
        //   1 - 5/2 = -1.5,  2 - 4/2 = 0,  3 - 3/2 = 1.5
        //   0 - 6/2 = -3,    0 - 6/2 = -3, 6 - 0/2 = 6
        const at::Tensor scores = floats({1, 2, 3, 0, 0, 6}, {6});
        EXPECT_TENSOR(leaveOneOutAdvantages(scores, 3), {-1.5, 0.0, 1.5, -3.0, -3.0, 6.0});
        // G = 2: each against the other: 4 - 1 = 3, 1 - 4 = -3
        EXPECT_TENSOR(leaveOneOutAdvantages(floats({4, 1}, {2}), 2), {3.0, -3.0});
        // equal scores: nothing to learn
        EXPECT_TENSOR(leaveOneOutAdvantages(floats({2, 2, 2}, {3}), 3), {0.0, 0.0, 0.0});
        QVERIFY(errorOf([&] { leaveOneOutAdvantages(scores, 1); }).contains(">= 2"));
        QVERIFY(errorOf([&] { leaveOneOutAdvantages(scores, 4); }).contains("groupSize 4"));
    }

    void drGrpoCentresWithoutTheStd()
    {
        // means 2 and 2; no division: the spread-3.46 group keeps its scale
        const at::Tensor scores = floats({1, 2, 3, 0, 0, 6}, {6});
        EXPECT_TENSOR(centredGroupAdvantages(scores, 3), {-1.0, 0.0, 1.0, -2.0, -2.0, 4.0});
        EXPECT_TENSOR(centredGroupAdvantages(scores, 1), {0.0, 0.0, 0.0, 0.0, 0.0, 0.0});
        // GRPO's divides: (1 - 2) / (1 + 1e-4) for the first
        QVERIFY(near(groupAdvantages(scores, 3)[0].item<double>(), -1 / 1.0001));
    }

    void zeroSpreadGroupsAreFound()
    {
        // [5, 5, 5] agrees, [1, 2, 3] does not, [0, 0, 0] agrees
        EXPECT_TENSOR(zeroSpreadGroups(floats({5, 5, 5, 1, 2, 3, 0, 0, 0}, {9}), 3),
                      {1.0, 0.0, 1.0});
        // a float rounding apart still agrees (1e-6 * (1 + 1) = 2e-6 > 1e-7); 0.001 apart does not
        const at::Tensor close = at::tensor({1.0, 1.0 + 1e-7, 1.0, 1.001}, at::kDouble);
        EXPECT_TENSOR(zeroSpreadGroups(close, 2), {1.0, 0.0});
    }

    void reinforcePlusPlusRewardsReturnsAndWhitening()
    {
        // scores 2 and -1; KL coef 0.5; row 1's third position is padding (KL 9 must not count)
        const at::Tensor scores = floats({2, -1}, {2});
        const at::Tensor tokenKl = floats({0.1f, 0.2f, 0.3f, 0.5f, -0.4f, 9}, {2, 3});
        const at::Tensor mask = floats({1, 1, 1, 1, 1, 0}, {2, 3});
        const at::Tensor rewards = scoreAtEndRewards(scores, tokenKl, mask, 0.5);
        // row 0: -0.05, -0.1, -0.15 + 2 = 1.85      row 1: -0.25, 0.2 - 1 = -0.8, padding 0
        EXPECT_TENSOR(rewards, {-0.05, -0.1, 1.85, -0.25, -0.8, 0.0});

        // gamma 0.9: row 0: G2 = 1.85, G1 = -0.1 + 0.9 * 1.85 = 1.565,
        //                   G0 = -0.05 + 0.9 * 1.565 = 1.3585
        //            row 1: G1 = -0.8, G0 = -0.25 + 0.9 * -0.8 = -0.97
        const at::Tensor returns = discountedReturns(rewards, mask, 0.9);
        EXPECT_TENSOR(returns, {1.3585, 1.565, 1.85, -0.97, -0.8, 0.0});
        // gamma 1 sums the rest of the row: 1.7, 1.75, 1.85 and -1.05, -0.8
        EXPECT_TENSOR(discountedReturns(rewards, mask, 1.0), {1.7, 1.75, 1.85, -1.05, -0.8, 0.0});

        // Whitened over the whole batch (5 real tokens, not per group): mean 3.0035 / 5 = 0.6007;
        // squared deviations sum to 7.4939448, unbiased variance 1.8734862, std 1.3687535.
        EXPECT_TENSOR(maskedWhiten(returns, mask),
                      {0.5536424, 0.7045096, 0.9127282, -1.1475404, -1.0233398, 0.0});
        // one reply per prompt is enough: no group is involved anywhere
        const at::Tensor one = discountedReturns(
            scoreAtEndRewards(floats({3}, {1}), floats({0, 0}, {1, 2}), at::ones({1, 2}), 0.5),
            at::ones({1, 2}), 1.0);
        EXPECT_TENSOR(one, {3.0, 3.0});
    }

    void ppoRewardsAreTheSameScoreAtTheEnd()
    {
        // A reply of one token: the score and its KL share the position.
        EXPECT_TENSOR(scoreAtEndRewards(floats({1}, {1}), floats({0.2f, 7}, {1, 2}),
                                        floats({1, 0}, {1, 2}), 0.1),
                      {1 - 0.02, 0.0});
        QVERIFY(
            errorOf([] {
                scoreAtEndRewards(floats({1, 2, 3}, {3}), at::zeros({2, 2}), at::ones({2, 2}), 0.1);
            }).contains("do not match"));
    }

    void lossAggregations()
    {
        // row 0: 1, 2, 3 and padding 9; row 1: 6 and padding
        at::Tensor perToken = floats({1, 2, 3, 9, 6, 9, 9, 9}, {2, 4}).requires_grad_();
        const at::Tensor mask = floats({1, 1, 1, 0, 1, 0, 0, 0}, {2, 4});
        // token mean: (1 + 2 + 3 + 6) / 4 = 3 (the one-token reply weighs a quarter)
        EXPECT_NEAR(aggregateLoss(perToken, mask, LossAggregation::TokenMean).item<double>(), 3.0);
        // sequence mean: rows 2 and 6, then (2 + 6) / 2 = 4 (the one-token reply weighs half)
        const at::Tensor sequenceMean =
            aggregateLoss(perToken, mask, LossAggregation::SequenceMean);
        EXPECT_NEAR(sequenceMean.item<double>(), 4.0);
        // sum / 4 per row: 6 / 4 = 1.5 and 6 / 4 = 1.5, mean 1.5
        const at::Tensor sumNorm =
            aggregateLoss(perToken, mask, LossAggregation::SequenceSumNorm, 4.0);
        EXPECT_NEAR(sumNorm.item<double>(), 1.5);
        // gradients: sequence mean 1 / (3 * 2) on row 0's tokens, 1 / (1 * 2) on row 1's
        sequenceMean.backward();
        EXPECT_TENSOR(perToken.grad(), {1 / 6.0, 1 / 6.0, 1 / 6.0, 0.0, 0.5, 0.0, 0.0, 0.0});
        // sum-norm: 1 / (4 * 2) on every real token, whatever its reply's length
        perToken.mutable_grad().zero_();
        sumNorm.backward();
        EXPECT_TENSOR(perToken.grad(), {0.125, 0.125, 0.125, 0.0, 0.125, 0.0, 0.0, 0.0});
        QVERIFY(errorOf([&] {
                    aggregateLoss(perToken, mask, LossAggregation::SequenceSumNorm, 0.0);
                }).contains("normaliser"));
    }

    void clipHigherLeavesRoomAbove()
    {
        ClipCase c;
        // symmetric 0.2: clamp to [0.8, 1.2]
        //   A=+1: 1.1 -> -1.1 inside; 1.25 -> max(-1.25, -1.2) = -1.2 clipped high; 0.5 -> -0.5
        //   A=-1: 0.9 -> 0.9 inside;  0.5 -> max(0.5, 0.8) = 0.8 clipped low
        // token mean (-1.1 - 1.2 - 0.5 + 0.9 + 0.8) / 5 = -1.1 / 5 = -0.22
        PolicyLoss symmetric =
            clippedPolicyLoss(c.logProbs, c.oldLogProbs, c.advantages, c.mask, {0.2, 0.2});
        EXPECT_NEAR(symmetric.loss.item<double>(), -0.22);
        EXPECT_NEAR(symmetric.clipFraction, 0.4);
        EXPECT_NEAR(symmetric.clipFractionLow, 0.2);
        EXPECT_NEAR(symmetric.clipFractionHigh, 0.2);

        // clip-higher 0.28: clamp to [0.8, 1.28]; 1.25 is now inside: -1.25
        // token mean (-1.1 - 1.25 - 0.5 + 0.9 + 0.8) / 5 = -1.15 / 5 = -0.23
        at::Tensor logProbs = c.logProbs.clone().requires_grad_();
        const PolicyLoss higher =
            clippedPolicyLoss(logProbs, c.oldLogProbs, c.advantages, c.mask, {0.2, 0.28});
        EXPECT_NEAR(higher.loss.item<double>(), -0.23);
        EXPECT_NEAR(higher.clipFraction, 0.2);
        EXPECT_NEAR(higher.clipFractionLow, 0.2);
        EXPECT_NEAR(higher.clipFractionHigh, 0.0);
        // ratios sorted 0.5, 0.5, 0.9, 1.1, 1.25: p05 at 0.2 -> 0.5; p95 at 3.8 -> 1.1 + 0.8 *
        // 0.15 = 1.22
        EXPECT_NEAR(higher.ratioP05, 0.5);
        EXPECT_NEAR(higher.ratioP95, 1.22);
        // d loss / d logProb = -A r / 5 where unclipped: the 1.25 token learns again
        higher.loss.backward();
        EXPECT_TENSOR(logProbs.grad(),
                      {-1.1 / 5, -1.25 / 5, -0.5 / 5, 0.0, 0.9 / 5, 0.0, 0.0, 0.0});
    }

    void policyLossAggregatedPerSequence()
    {
        ClipCase c;
        at::Tensor logProbs = c.logProbs.clone().requires_grad_();
        PolicyLossOptions options{
            .clipLow = 0.2, .clipHigh = 0.28, .aggregation = LossAggregation::SequenceMean};
        // rows: (-1.1 - 1.25 - 0.5) / 3 = -0.95 and (0.9 + 0.8) / 2 = 0.85; mean -0.05
        const PolicyLoss sequenceMean =
            clippedPolicyLoss(logProbs, c.oldLogProbs, c.advantages, c.mask, options);
        EXPECT_NEAR(sequenceMean.loss.item<double>(), -0.05);
        // the statistics stay per token
        EXPECT_NEAR(sequenceMean.clipFraction, 0.2);
        // gradient -A r / (3 * 2) on row 0, / (2 * 2) on row 1; the clipped 0.5 gets none
        sequenceMean.loss.backward();
        EXPECT_TENSOR(logProbs.grad(),
                      {-1.1 / 6, -1.25 / 6, -0.5 / 6, 0.0, 0.9 / 4, 0.0, 0.0, 0.0});

        // Dr. GRPO: row sums -2.85 and 1.7 over the constant 4: -0.7125 and 0.425; mean -0.14375
        options.aggregation = LossAggregation::SequenceSumNorm;
        options.normaliser = 4;
        EXPECT_NEAR(clippedPolicyLoss(c.logProbs, c.oldLogProbs, c.advantages, c.mask, options)
                        .loss.item<double>(),
                    -0.14375);
    }

    void quantilesAndExplainedVariance()
    {
        // real 3, 1, 2 (100 is padding): sorted 1, 2, 3; p50 = 2; p95 at 1.9 -> 2.9; p0 = 1
        const at::Tensor values = floats({3, 1, 2, 100}, {1, 4});
        const at::Tensor mask = floats({1, 1, 1, 0}, {1, 4});
        EXPECT_NEAR(maskedQuantile(values, mask, 0.5), 2.0);
        EXPECT_NEAR(maskedQuantile(values, mask, 0.95), 2.9);
        EXPECT_NEAR(maskedQuantile(values, mask, 0.0), 1.0);
        QCOMPARE(maskedQuantile(values, at::zeros_like(mask), 0.5), 0.0);

        // returns 1, 3, 2: mean 2, variance 2/3. Values 1, 2.5, 2: errors 0, 0.5, 0, mean 1/6,
        // variance (2 * 1/36 + 1/9) / 3 = 1/18; 1 - (1/18) / (2/3) = 1 - 1/12 = 0.9166667
        const at::Tensor returns = floats({1, 3, 2, 0}, {1, 4});
        EXPECT_NEAR(explainedVariance(floats({1, 2.5f, 2, 50}, {1, 4}), returns, mask),
                    11.0 / 12.0);
        // values 3, 1, 2: errors -2, 2, 0, variance 8/3: 1 - 4 = -3 (worse than a constant)
        EXPECT_NEAR(explainedVariance(floats({3, 1, 2, 50}, {1, 4}), returns, mask), -3.0);
        // perfect values: 1
        EXPECT_NEAR(explainedVariance(returns, returns, mask), 1.0);
        // returns that do not vary explain nothing either way: NaN
        QVERIFY(std::isnan(explainedVariance(values, at::ones({1, 4}), mask)));
    }

    void policyBlockDefaultsKeepTodaysBehaviour()
    {
        for (const RunStage stage : {RunStage::Ppo, RunStage::Grpo}) {
            const RlConfig config = rlConfigFromJson(rlDocument(stage), stage, "run.json");
            QVERIFY(config.lossAggregation == LossAggregation::TokenMean);
            QCOMPARE(config.clipRangeLow, 0.0);
            QCOMPARE(config.clipRangeHigh, 0.0);
            QVERIFY(config.advantage == AdvantageEstimator::Grpo);
            QVERIFY(!config.dynamicSampling);
        }
        const nlohmann::json ppo = rlDocument(RunStage::Ppo);
        QVERIFY(ppo["policy"]["loss_aggregation"] == "token_mean");
        QVERIFY(!ppo["policy"].contains("advantage")); // PPO's advantages are GAE's
        QVERIFY(!ppo["policy"].contains("dynamic_sampling"));
        const nlohmann::json grpo = rlDocument(RunStage::Grpo);
        QVERIFY(grpo["policy"]["advantage"] == "grpo");
        QVERIFY(grpo["policy"]["dynamic_sampling"] == false);
    }

    void policyBlockReadsAndWritesEveryOption()
    {
        nlohmann::json document = rlDocument(RunStage::Grpo);
        document["policy"]["advantage"] = "reinforce++";
        document["policy"]["gamma"] = 0.99;
        document["policy"]["clip_range_high"] = 0.28;
        document["policy"]["loss_aggregation"] = "sequence_sum_norm";
        document["policy"]["dynamic_sampling"] = true;
        const RlConfig config = rlConfigFromJson(document, RunStage::Grpo, "run.json");
        QVERIFY(config.advantage == AdvantageEstimator::ReinforcePlusPlus);
        QCOMPARE(config.gamma, 0.99);
        QCOMPARE(config.clipRangeHigh, 0.28);
        QVERIFY(config.lossAggregation == LossAggregation::SequenceSumNorm);
        QVERIFY(config.dynamicSampling);
        QVERIFY(toJson(config) == document);
        for (const char* word : {"grpo", "rloo", "dr_grpo"}) {
            document["policy"]["advantage"] = word;
            QCOMPARE(toJson(rlConfigFromJson(document, RunStage::Grpo, "r"))["policy"]["advantage"],
                     nlohmann::json(word));
        }
        nlohmann::json ppo = rlDocument(RunStage::Ppo);
        ppo["policy"]["clip_range_low"] = 0.1;
        ppo["policy"]["loss_aggregation"] = "sequence_mean";
        QVERIFY(toJson(rlConfigFromJson(ppo, RunStage::Ppo, "p")) == ppo);
    }

    void policyBlockErrorsSayWhere()
    {
        nlohmann::json grpo = rlDocument(RunStage::Grpo);
        grpo["policy"]["advantage"] = "vanilla";
        QCOMPARE(problemOf(grpo, RunStage::Grpo),
                 QString("run.json: policy.advantage: expected grpo, rloo, reinforce++ or "
                         "dr_grpo, got \"vanilla\""));
        grpo["policy"]["advantage"] = "rloo";
        grpo["policy"]["loss_aggregation"] = "mean";
        QCOMPARE(problemOf(grpo, RunStage::Grpo),
                 QString("run.json: policy.loss_aggregation: expected token_mean, sequence_mean "
                         "or sequence_sum_norm, got \"mean\""));
        grpo["policy"]["loss_aggregation"] = "token_mean";
        grpo["policy"]["clip_range_high"] = -0.1;
        QVERIFY(problemOf(grpo, RunStage::Grpo).startsWith("run.json: policy.clip_range_high: "));
        grpo["policy"]["clip_range_high"] = 0.28;

        // One reply per prompt: only reinforce++ has a baseline without a group.
        grpo["rollout"]["group_size"] = 1;
        QCOMPARE(problemOf(grpo, RunStage::Grpo),
                 QString("run.json: policy.advantage: rloo compares the replies of a prompt: "
                         "rollout.group_size must be at least 2 (reinforce++ works with 1)"));
        grpo["policy"]["advantage"] = "reinforce++";
        QCOMPARE(problemOf(grpo, RunStage::Grpo), QString());
        grpo["policy"]["dynamic_sampling"] = true;
        QCOMPARE(problemOf(grpo, RunStage::Grpo),
                 QString("run.json: policy.dynamic_sampling: needs rollout.group_size >= 2: a "
                         "group of one reply never has a spread"));

        // GRPO's own options are not PPO's.
        nlohmann::json ppo = rlDocument(RunStage::Ppo);
        ppo["policy"]["advantage"] = "rloo";
        QCOMPARE(problemOf(ppo, RunStage::Ppo),
                 QString("run.json: policy.advantage: unknown field"));
    }
};

QTEST_APPLESS_MAIN(TestRlAlgorithms)
#include "test_rl_algorithms.moc"
