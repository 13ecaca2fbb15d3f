// The alignment losses and estimators of core/train/rl_losses.h on tiny tensors, each against
// numbers worked out by hand (the arithmetic is in the comments), including what padding must
// not change and where gradients must be zero.
#include "core/train/rl_losses.h"

#include "tests/support/error_of.h"
#include "tests/support/tensor_expect.h"

#include <ATen/ATen.h>
#include <QtTest>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <vector>

using namespace rlhf::train;
using rlhf::testing::errorOf;
using test_support::floats;
using test_support::near;

class TestRlLosses : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void maskedStatisticsIgnorePadding()
    {
        // Real entries 1, 2, 3, 4; the 100s are padding and must change nothing.
        const at::Tensor values = floats({1, 2, 3, 4, 100, 100}, {2, 3});
        const at::Tensor mask = floats({1, 1, 1, 1, 0, 0}, {2, 3});
        // mean = 10 / 4 = 2.5
        QVERIFY(near(maskedMean(values, mask).item<double>(), 2.5));
        // squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5: biased 5 / 4, unbiased 5 / 3
        QVERIFY(near(maskedVariance(values, mask, /*unbiased=*/false).item<double>(), 1.25));
        QVERIFY(near(maskedVariance(values, mask).item<double>(), 5.0 / 3.0));
        // whiten: (v - 2.5) / sqrt(5/3) = (v - 2.5) / 1.2909944; padding stays 0
        EXPECT_TENSOR(maskedWhiten(values, mask),
                      {-1.1618950, -0.3872983, 0.3872983, 1.1618950, 0.0, 0.0});
        // shiftMean = false adds the mean 2.5 back: only the scale changes
        EXPECT_TENSOR(maskedWhiten(values, mask, /*shiftMean=*/false),
                      {1.3381050, 2.1127017, 2.8872983, 3.6618950, 0.0, 0.0});
        // an all-padding mask gives 0, not NaN
        QCOMPARE(maskedMean(values, at::zeros_like(mask)).item<double>(), 0.0);
        // a bool mask reads the same as a float one
        QVERIFY(near(maskedMean(values, mask.to(at::kBool)).item<double>(), 2.5));
    }

    void rewardModelLossValueAndGradientSigns()
    {
        at::Tensor chosen = floats({2, 0}, {2}).requires_grad_();
        at::Tensor rejected = floats({1, 0}, {2}).requires_grad_();
        // margins 1 and 0: (log(1 + e^-1) + log 2) / 2 = (0.3132617 + 0.6931472) / 2
        const at::Tensor loss = rewardModelLoss(chosen, rejected);
        QVERIFY(near(loss.item<double>(), 0.5032044));
        loss.backward();
        // d/d chosen_i = -sigmoid(-margin_i) / 2: -0.2689414 / 2 and -0.5 / 2
        EXPECT_TENSOR(chosen.grad(), {-0.1344707, -0.25});
        EXPECT_TENSOR(rejected.grad(), {0.1344707, 0.25});
        QVERIFY((chosen.grad() < 0).all().item<bool>());   // raise the chosen score
        QVERIFY((rejected.grad() > 0).all().item<bool>()); // lower the rejected one

        // Margin +-1000: exp(1000) overflows float, logsigmoid does not.
        const at::Tensor wide = floats({1000, -1000}, {2});
        const at::Tensor zero = at::zeros({2});
        QVERIFY(
            near(rewardModelLoss(wide.narrow(0, 0, 1), zero.narrow(0, 0, 1)).item<double>(), 0.0));
        QVERIFY(near(rewardModelLoss(wide.narrow(0, 1, 1), zero.narrow(0, 1, 1)).item<double>(),
                     1000.0, 1e-3));
        QVERIFY(std::isfinite(rewardModelLoss(wide, zero).item<double>()));
    }

    void klEstimators()
    {
        const at::Tensor policy = floats({-1, -2, -0.5f}, {3});
        const at::Tensor reference = floats({-1, -1, -1.5f}, {3});
        // log r = ref - policy = 0, 1, -1
        // k1 = -log r = 0, -1, 1: negative where the reference is likelier than the policy
        const at::Tensor k1 = klPerToken(policy, reference, KlEstimator::K1);
        EXPECT_TENSOR(k1, {0.0, -1.0, 1.0});
        QVERIFY(k1[1].item<double>() < 0);
        // k3 = (r - 1) - log r = 0, (e - 1) - 1 = 0.7182818, (e^-1 - 1) + 1 = 0.3678794
        EXPECT_TENSOR(klPerToken(policy, reference, KlEstimator::K3), {0.0, 0.7182818, 0.3678794});

        // k3 >= 0 on every pair of a grid of log-probabilities, and 0 where they agree.
        const at::Tensor grid = at::linspace(-8, 0, 33);
        const at::Tensor rows = grid.view({33, 1}).expand({33, 33});
        const at::Tensor k3 = klPerToken(rows, rows.t(), KlEstimator::K3);
        QVERIFY(k3.min().item<double>() >= 0.0);
        QVERIFY(k3.diagonal().abs().max().item<double>() == 0.0);
    }

    void gaeOnOneFullRow()
    {
        // gamma 0.9, lambda 0.8 -> gamma * lambda = 0.72
        const at::Tensor rewards = floats({0, 0, 1}, {1, 3});
        const at::Tensor values = floats({0.5f, 0.6f, 0.7f}, {1, 3});
        const Advantages result =
            generalisedAdvantages(rewards, values, at::ones({1, 3}), 0.9, 0.8);
        // t=2: delta = 1 + 0.9 * 0 - 0.7 = 0.3;             A = 0.3
        // t=1: delta = 0 + 0.9 * 0.7 - 0.6 = 0.03;          A = 0.03 + 0.72 * 0.3 = 0.246
        // t=0: delta = 0 + 0.9 * 0.6 - 0.5 = 0.04;          A = 0.04 + 0.72 * 0.246 = 0.21712
        EXPECT_TENSOR(result.advantages, {0.21712, 0.246, 0.3});
        // returns = A + V
        EXPECT_TENSOR(result.returns, {0.71712, 0.846, 1.0});
    }

    void gaeKeepsPaddingOut()
    {
        // Row 0 is the full row above; row 1 has two real tokens and a padding position whose
        // reward 9 and value 50 must not reach them.
        const at::Tensor rewards = floats({0, 0, 1, 0.5f, 2, 9}, {2, 3});
        const at::Tensor values = floats({0.5f, 0.6f, 0.7f, 1, 1.5f, 50}, {2, 3});
        const at::Tensor mask = floats({1, 1, 1, 1, 1, 0}, {2, 3});
        const Advantages result = generalisedAdvantages(rewards, values, mask, 0.9, 0.8);
        // row 1, t=1 is the last real token, so V_2 counts as 0:
        //   delta = 2 + 0.9 * 0 - 1.5 = 0.5;                 A = 0.5
        // t=0: delta = 0.5 + 0.9 * 1.5 - 1 = 0.85;            A = 0.85 + 0.72 * 0.5 = 1.21
        // (had V_2 = 50 leaked, A_1 would be 2 + 45 - 1.5 = 45.5)
        EXPECT_TENSOR(result.advantages, {0.21712, 0.246, 0.3, 1.21, 0.5, 0.0});
        // returns = A + V = 2.21, 2.0; padding 0, not 0 + 50
        EXPECT_TENSOR(result.returns, {0.71712, 0.846, 1.0, 2.21, 2.0, 0.0});
        QVERIFY(!result.advantages.requires_grad());
    }

    void clippedPolicyLossBothSignsInsideAndOutside()
    {
        // clip range 0.2 -> ratios clamped to [0.8, 1.2]; old log-probs 0, so ratio = e^logProb.
        // Row 0 has advantage +1, row 1 advantage -1; column 3 is padding (ratio 3, A 5).
        const at::Tensor ratios = floats({1.1f, 1.5f, 0.5f, 3, 0.9f, 0.5f, 1.5f, 3}, {2, 4});
        at::Tensor logProbs = at::log(ratios).requires_grad_();
        const at::Tensor oldLogProbs = at::zeros({2, 4});
        const at::Tensor advantages = floats({1, 1, 1, 5, -1, -1, -1, 5}, {2, 4});
        const at::Tensor mask = floats({1, 1, 1, 0, 1, 1, 1, 0}, {2, 4});
        const PolicyLoss result =
            clippedPolicyLoss(logProbs, oldLogProbs, advantages, mask, {0.2, 0.2});
        // per token max(-A r, -A clamp(r)):
        //   A=+1: r 1.1 -> max(-1.1, -1.1) = -1.1   inside
        //         r 1.5 -> max(-1.5, -1.2) = -1.2   clipped (too far up with a good action)
        //         r 0.5 -> max(-0.5, -0.8) = -0.5   unclipped (pessimistic side)
        //   A=-1: r 0.9 -> max(0.9, 0.9) = 0.9      inside
        //         r 0.5 -> max(0.5, 0.8) = 0.8      clipped (too far down with a bad action)
        //         r 1.5 -> max(1.5, 1.2) = 1.5      unclipped
        // loss = (-1.1 - 1.2 - 0.5 + 0.9 + 0.8 + 1.5) / 6 = 0.4 / 6
        QVERIFY(near(result.loss.item<double>(), 0.4 / 6.0));
        QVERIFY(near(result.clipFraction, 2.0 / 6.0));
        // approxKl = sum(0.5 * log(r)^2) / 6 over the six real ratios
        QVERIFY(near(result.approxKl, 0.1091579));
        // ratio mean (1.1 + 1.5 + 0.5 + 0.9 + 0.5 + 1.5) / 6 = 1;
        // unbiased variance (0.01 + 0.25 + 0.25 + 0.01 + 0.25 + 0.25) / 5 = 0.204
        QVERIFY(near(result.ratioMean, 1.0));
        QVERIFY(near(result.ratioVariance, 0.204));

        // d loss / d logProb = -A r / 6 where unclipped, 0 where clipped and on padding.
        result.loss.backward();
        EXPECT_TENSOR(logProbs.grad(), {-1.1 / 6, 0.0, -0.5 / 6, 0.0, 0.9 / 6, 0.0, 1.5 / 6, 0.0});
    }

    void clippedValueLossValueAndClipFraction()
    {
        // clip range 0.2 around old values 1; the last token is padding.
        at::Tensor values = floats({1.125f, 1.5f, 1.5f, 10}, {1, 4}).requires_grad_();
        const at::Tensor oldValues = floats({1, 1, 1, 0}, {1, 4});
        const at::Tensor returns = floats({2, 2, 0, 0}, {1, 4});
        const at::Tensor mask = floats({1, 1, 1, 0}, {1, 4});
        const ValueLoss result = clippedValueLoss(values, oldValues, returns, mask, 0.2);
        // v 1.125 (inside):         errors (1.125 - 2)^2 = 0.765625 both
        // v 1.5 -> clipped 1.2, R 2: max(0.25, 0.64) = 0.64   clipped error chosen
        // v 1.5 -> clipped 1.2, R 0: max(2.25, 1.44) = 2.25   unclipped
        // loss = 0.5 * (0.765625 + 0.64 + 2.25) / 3 = 0.6092708
        QVERIFY(near(result.loss.item<double>(), 0.6092708));
        QVERIFY(near(result.clipFraction, 1.0 / 3.0));
        // d/dv = 0.5 / 3 * 2 (v - R) where unclipped: -0.875 / 3, 0, 1.5 / 3; padding 0
        result.loss.backward();
        EXPECT_TENSOR(values.grad(), {-0.875 / 3, 0.0, 0.5, 0.0});
    }

    void dpoAndIpoAgainstTheirFormulas()
    {
        at::Tensor policyChosen = floats({-1, -3}, {2}).requires_grad_();
        const at::Tensor policyRejected = floats({-2, -1}, {2});
        const at::Tensor refChosen = floats({-1.5f, -2}, {2});
        const at::Tensor refRejected = floats({-1.5f, -2}, {2});
        // chosen log-ratios 0.5, -1; rejected -0.5, 1; h = 1, -2; beta 0.5
        const DpoLoss dpo = preferenceLoss(policyChosen, policyRejected, refChosen, refRejected,
                                           0.5, PreferenceLoss::Dpo);
        // (-log sigmoid(0.5) - log sigmoid(-1)) / 2 = (0.4740770 + 1.3132617) / 2
        QVERIFY(near(dpo.loss.item<double>(), 0.8936693));
        // implicit rewards beta * (policy - ref): detached
        EXPECT_TENSOR(dpo.chosenReward, {0.25, -0.5});
        EXPECT_TENSOR(dpo.rejectedReward, {-0.25, 0.5});
        QVERIFY(!dpo.chosenReward.requires_grad());
        // raising the chosen reply's log-prob lowers the loss
        dpo.loss.backward();
        QVERIFY((policyChosen.grad() < 0).all().item<bool>());

        // IPO: (h - 1 / (2 * 0.5))^2 = (1 - 1)^2 = 0 and (-2 - 1)^2 = 9; mean 4.5
        const DpoLoss ipo = preferenceLoss(policyChosen, policyRejected, refChosen, refRejected,
                                           0.5, PreferenceLoss::Ipo);
        QVERIFY(near(ipo.loss.item<double>(), 4.5));
        EXPECT_TENSOR(ipo.chosenReward, {0.25, -0.5});
    }

    void groupAdvantagesPerPrompt()
    {
        // groups [1, 2, 3]: mean 2, unbiased std sqrt((1 + 0 + 1) / 2) = 1
        //        [0, 0, 6]: mean 2, unbiased std sqrt((4 + 4 + 16) / 2) = sqrt(12) = 3.4641016
        const at::Tensor scores = floats({1, 2, 3, 0, 0, 6}, {6});
        EXPECT_TENSOR(groupAdvantages(scores, 3), {-1 / 1.0001, 0.0, 1 / 1.0001, -2 / 3.4642016,
                                                   -2 / 3.4642016, 4 / 3.4642016});
        // a group whose samples all scored alike carries no signal: 0 / (0 + 1e-4)
        EXPECT_TENSOR(groupAdvantages(floats({5, 5, 5}, {3}), 3), {0.0, 0.0, 0.0});
        // one sample per prompt has no spread (its unbiased std is NaN): 0, not NaN
        EXPECT_TENSOR(groupAdvantages(scores, 1), {0.0, 0.0, 0.0, 0.0, 0.0, 0.0});
        QVERIFY(errorOf([&] { groupAdvantages(scores, 4); }).contains("groupSize 4"));
        QVERIFY(errorOf([&] { groupAdvantages(scores, 0); }).contains("groupSize"));
    }

    void entropyOfKnownDistributions()
    {
        // uniform over V = 5 everywhere: log 5
        QVERIFY(near(maskedEntropy(at::zeros({2, 3, 5}), at::ones({2, 3})), std::log(5.0)));

        // Row 1: a fair coin at t=0 (two finite logits, three -inf: log 2), then two padding
        // positions with near-one-hot logits whose entropy (~0) must not count.
        at::Tensor logits = at::zeros({2, 3, 5});
        const float minusInfinity = -std::numeric_limits<float>::infinity();
        logits[1][0].narrow(0, 2, 3).fill_(minusInfinity);
        logits[1][1][0].fill_(100);
        logits[1][2][0].fill_(100);
        const at::Tensor mask = floats({1, 1, 1, 1, 0, 0}, {2, 3});
        // (3 log 5 + log 2) / 4
        QVERIFY(near(maskedEntropy(logits, mask), (3 * std::log(5.0) + std::log(2.0)) / 4));
    }
};

QTEST_APPLESS_MAIN(TestRlLosses)
#include "test_rl_losses.moc"
