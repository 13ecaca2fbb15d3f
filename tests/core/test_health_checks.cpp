// The run health checks on synthetic metric series: a healthy run is quiet, each check fires on a
// series built to trip it, at the step worked out by hand, with its numbers in the message, and
// near misses (one negative KL batch, early doubling from near zero, an old value-loss minimum,
// a reward model that ends above the bar, one batch of agreeing groups, a fresh value head)
// stay quiet.
#include "core/train/health_checks.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

using rlhf::train::checkRunHealth;
using rlhf::train::HealthLimits;
using rlhf::train::HealthWarning;
using rlhf::train::SeriesLookup;
using rlhf::train::SeriesPoint;

namespace {

using Series = std::vector<SeriesPoint>;
using Metrics = std::map<std::string, Series, std::less<>>;

// `values` at steps first, first + stride, ...
Series series(const std::vector<double>& values, int64_t first = 1, int64_t stride = 1)
{
    Series result;
    for (size_t i = 0; i < values.size(); ++i)
        result.push_back({first + int64_t(i) * stride, values[i]});
    return result;
}

std::vector<HealthWarning> check(const Metrics& metrics, const HealthLimits& limits = {},
                                 rlhf::store::RunStage stage = rlhf::store::RunStage::Reward)
{
    const SeriesLookup lookup = [&](std::string_view name) {
        const auto found = metrics.find(name);
        return found == metrics.end() ? Series{} : found->second;
    };
    return checkRunHealth(lookup, stage, limits);
}

// The one warning `metrics` gives, or a failed test naming what came instead.
HealthWarning only(const Metrics& metrics, const HealthLimits& limits = {})
{
    const std::vector<HealthWarning> warnings = check(metrics, limits);
    if (warnings.size() != 1) {
        QString got;
        for (const HealthWarning& w : warnings)
            got += QString::fromStdString(w.check + ": " + w.message + "; ");
        qWarning("expected one warning, got %d: %s", int(warnings.size()), qPrintable(got));
        return {};
    }
    return warnings[0];
}

// 40 steps of an ordinary PPO run: KL creeping up, ratios near 1, score and true accuracy rising
// together, lengths drifting a little, value loss falling with noise, and a reward model whose
// early evals were weak but whose latest is fine.
Metrics healthyRun()
{
    std::vector<double> kl, ratioMean, ratioVariance, score, accuracy, length, valueLoss;
    std::vector<double> zeroSpread, truncation, explained, clipHigh;
    for (int i = 0; i < 40; ++i) {
        zeroSpread.push_back(i % 5 == 0 ? 0.9 : 0.3); // a bad batch now and then
        truncation.push_back(0.1);
        explained.push_back(i < 9 ? -0.5 : 0.02 * i); // a fresh value head, then learning
        clipHigh.push_back(i % 5 == 0 ? 0.4 : 0.05);
        kl.push_back(0.05 * i);
        ratioMean.push_back(i % 2 ? 1.03 : 0.97);
        ratioVariance.push_back(0.05);
        score.push_back(0.1 * i + (i % 3 == 0 ? 0.3 : 0.0));
        accuracy.push_back(0.3 + 0.01 * i);
        length.push_back(100 + 2 * i);
        valueLoss.push_back(5.0 / (1 + 0.1 * i) + (i % 2 ? 0.4 : 0.0));
    }
    return {{"rl/kl", series(kl)},
            {"rl/ratio_mean", series(ratioMean)},
            {"rl/ratio_var", series(ratioVariance)},
            {"rl/score", series(score)},
            {"task/accuracy", series(accuracy)},
            {"rl/response_length", series(length)},
            {"rl/value_loss", series(valueLoss)},
            {"rl/zero_spread_groups", series(zeroSpread)},
            {"rl/truncation_rate", series(truncation)},
            {"rl/value_explained_variance", series(explained)},
            {"rl/clip_fraction_high", series(clipHigh)},
            {"val/accuracy", series({0.5, 0.58, 0.71}, 10, 10)}};
}

constexpr double notANumber = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

} // namespace

class TestHealthChecks : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void healthyRunIsQuiet()
    {
        QVERIFY(check(healthyRun()).empty());
        QVERIFY(check({}).empty()); // a lookup with no series at all
    }

    void klNegative()
    {
        // One batch at -0.03 (step 3) is noise; the trailing 5-point mean reaches
        // (-0.03 + 0.01 + 0 - 0.02 - 0.03) / 5 = -0.014 at step 7.
        const HealthWarning w = only({{"rl/kl", series({0, 0.02, -0.03, 0.01, 0, -0.02, -0.03})}});
        QCOMPARE(w.check, std::string("kl_negative"));
        QCOMPARE(w.step, int64_t(7));
        QVERIFY2(w.message.starts_with("mean KL -0.014 nats over 5 points at step 7"),
                 w.message.c_str());
        QVERIFY(check({{"rl/kl", series({0, 0.02, -0.03, 0.01, 0, -0.02})}}).empty());
    }

    void klAboveLimit()
    {
        std::vector<double> kl;
        for (int step = 1; step <= 30; ++step)
            kl.push_back(0.5 * step); // 10.5 at step 21
        HealthWarning w = only({{"rl/kl", series(kl)}});
        QCOMPARE(w.check, std::string("kl_exploding"));
        QCOMPARE(w.step, int64_t(21));
        QCOMPARE(
            w.message,
            std::string("KL 10.5 nats at step 21 (limit 10): the policy runs away from the "
                        "reference; raise kl.coef or set kl.target, or lower the learning rate"));

        w = only({{"rl/kl", series(kl)}}, HealthLimits{.maxKl = 12});
        QCOMPARE(
            w.message,
            std::string("KL 12.5 nats at step 25 (limit 12): the policy runs away from the "
                        "reference; raise kl.coef or set kl.target, or lower the learning rate"));

        w = only({{"rl/kl", series({0.1, notANumber, 0.2})}});
        QCOMPARE(w.check, std::string("kl_exploding"));
        QCOMPARE(w.message,
                 std::string("KL nan at step 2: the training diverged; lower the learning rate"));
    }

    void klDoubling()
    {
        // Tripling from 0.001 is early growth and stays quiet until the run of three doublings
        // starts at 1.1 >= maxKl / 10: the eval at step 110, still under the limit of 10.
        const Series kl =
            series({0.001, 0.003, 0.009, 0.027, 0.08, 0.2, 0.5, 1.1, 2.3, 4.7, 9.5}, 10, 10);
        const HealthWarning w = only({{"rl/kl", kl}});
        QCOMPARE(w.check, std::string("kl_exploding"));
        QCOMPARE(w.step, int64_t(110));
        QCOMPARE(w.message,
                 std::string("KL doubled 3 evals running, 1.1 -> 9.5 nats at step 110 (limit 10): "
                             "raise kl.coef or set kl.target, or lower the learning rate"));
        // A break in the doubling (4.7 -> 6) resets the count.
        QVERIFY(check({{"rl/kl", series({1.1, 2.3, 4.7, 6, 9})}}).empty());
    }

    void ratioDrift()
    {
        Metrics metrics{{"rl/ratio_mean", series({1.0, 1.1, 1.2, 1.3}, 5)}};
        HealthWarning w = only(metrics);
        QCOMPARE(w.check, std::string("ratio_drift"));
        QCOMPARE(w.step, int64_t(8));
        QCOMPARE(w.message,
                 std::string("PPO ratio mean 1.3 at step 8 (allowed 0.8 to 1.25): each batch moves "
                             "the policy too far; lower the learning rate or policy.epochs"));

        // The variance goes first, at step 6: one warning, there.
        metrics["rl/ratio_var"] = series({0.1, 1.5, 0.2}, 5);
        w = only(metrics);
        QCOMPARE(w.step, int64_t(6));
        QCOMPARE(w.message,
                 std::string("PPO ratio variance 1.5 at step 6 (limit 1): each batch moves the "
                             "policy too far; lower the learning rate or policy.epochs"));

        w = only({{"rl/ratio_mean", series({1.0, 0.75}, 1)}});
        QCOMPARE(w.message,
                 std::string("PPO ratio mean 0.75 at step 2 (allowed 0.8 to 1.25): each batch "
                             "moves the policy too far; lower the learning rate or policy.epochs"));
    }

    void rewardUpTruthDown()
    {
        // Score at steps 1..16, accuracy at steps 2, 4, ..., 16. At step 10: score has 10 points,
        // quarters of 2; first {1, 1.2}: mean 1.1, std 0.1; last {1.3, 1.5}: mean 1.4, up 0.3.
        // Accuracy has 5 points, quarters of 1: 0.6 then 0.55, down. (At step 9 the score is up
        // only 0.1, not more than the std, and the accuracy had not fallen yet.)
        Metrics metrics{
            {"rl/score",
             series({1, 1.2, 1, 1.2, 1.1, 1.1, 1.1, 1.1, 1.3, 1.5, 1.7, 1.9, 2.1, 2.3, 2.5, 2.7})},
            {"task/accuracy", series({0.6, 0.6, 0.6, 0.6, 0.55, 0.5, 0.45, 0.4}, 2, 2)}};
        const HealthWarning w = only(metrics);
        QCOMPARE(w.check, std::string("reward_hacking"));
        QCOMPARE(w.step, int64_t(10));
        QCOMPARE(w.message,
                 std::string("score up 0.3 (first-quarter std 0.1) while task "
                             "accuracy fell 0.6 -> 0.55 at step 10: the policy games the reward; "
                             "raise kl.coef, keep an earlier checkpoint, or retrain "
                             "the reward model on the policy's replies"));

        // The same score with the accuracy holding up: no warning; without any accuracy: none.
        metrics["task/accuracy"] = series({0.6, 0.6, 0.6, 0.6, 0.65, 0.7, 0.75, 0.8}, 2, 2);
        QVERIFY(check(metrics).empty());
        metrics.erase("task/accuracy");
        QVERIFY(check(metrics).empty());
    }

    void responseLength()
    {
        HealthWarning w = only({{"rl/response_length", series({100, 150, 250, 310, 400})}});
        QCOMPARE(w.check, std::string("reward_hacking"));
        QCOMPARE(w.step, int64_t(4));
        QCOMPARE(w.message, std::string("response length 310 at step 4, 3.1x its start (100): the "
                                        "reward pays for length; add a length rule term, or "
                                        "raise kl.coef"));

        w = only({{"rl/response_length", series({90, 50, 31, 20})}});
        QCOMPARE(w.step, int64_t(4));
        QCOMPARE(w.message, std::string("response length 20 at step 4, 0.222x its start (90): the "
                                        "reward pays for brevity; check the reward's length "
                                        "terms, or raise kl.coef"));
    }

    void rewardHackingOnce()
    {
        // Both conditions hold (length at step 3, score/accuracy at step 10): one warning, the
        // earlier.
        const Metrics metrics{
            {"rl/score", series({1, 1.2, 1, 1.2, 1.1, 1.1, 1.1, 1.1, 1.3, 1.5, 1.7})},
            {"task/accuracy", series({0.6, 0.6, 0.6, 0.6, 0.55}, 2, 2)},
            {"rl/response_length", series({100, 200, 301, 400})}};
        const HealthWarning w = only(metrics);
        QCOMPARE(w.check, std::string("reward_hacking"));
        QCOMPARE(w.step, int64_t(3));
    }

    void valueDiverging()
    {
        // Step 12: 6.0 against the minimum 0.5 of the 10 points before (steps 2-11): 12x.
        HealthWarning w = only(
            {{"rl/value_loss", series({4, 2, 1, 0.5, 0.6, 0.55, 0.7, 0.6, 0.8, 0.9, 0.7, 6.0})}});
        QCOMPARE(w.check, std::string("value_diverging"));
        QCOMPARE(w.step, int64_t(12));
        QCOMPARE(w.message, std::string("value loss 6 at step 12, 12x the minimum 0.5 of the 10 "
                                        "points before: lower value.lr or value.clip_range"));

        // A fresh value head's first steps swing widely: not judged before a full window.
        QVERIFY(check({{"rl/value_loss", series({1.3, 15.1, 1.2, 0.9})}}).empty());

        // 3.0 is over 10x the 0.2 of step 1, but that is 11 points back: out of the window.
        std::vector<double> values{0.2};
        values.insert(values.end(), 10, 1.0);
        values.push_back(3.0);
        QVERIFY(check({{"rl/value_loss", series(values)}}).empty());

        w = only({{"rl/value_loss", series({1, 0.9, infinity}, 5, 5)}});
        QCOMPARE(w.step, int64_t(15));
        QCOMPARE(w.message,
                 std::string("value loss inf at step 15: lower value.lr or value.clip_range"));
    }

    void weakRewardModel()
    {
        HealthWarning w = only({{"val/accuracy", series({0.5, 0.55, 0.58}, 100, 100)}});
        QCOMPARE(w.check, std::string("weak_reward_model"));
        QCOMPARE(w.step, int64_t(300));
        QCOMPARE(w.message,
                 std::string("reward model held-out accuracy 0.58 at step 300 (needs 0.6): too "
                             "weak to train a policy against; label more pairs, train it "
                             "longer, or check that the chosen replies are the better ones"));

        const Metrics better{{"val/accuracy", series({0.5, 0.55, 0.65}, 100, 100)}};
        QVERIFY(check(better).empty());
        w = only(better, HealthLimits{.minRewardModelAccuracy = 0.7});
        QCOMPARE(w.message,
                 std::string("reward model held-out accuracy 0.65 at step 300 (needs 0.7): too "
                             "weak to train a policy against; label more pairs, train it "
                             "longer, or check that the chosen replies are the better ones"));
    }

    // DPO logs val/accuracy too: its warning blames the implicit reward, never a reward model,
    // and a pretraining or PPO run's val/accuracy (if any) is no reward model's either.
    void heldOutAccuracyIsReadByStage()
    {
        const Metrics weak{{"val/accuracy", series({0.5, 0.55, 0.58}, 100, 100)}};
        const auto dpo = check(weak, {}, rlhf::store::RunStage::Dpo);
        QCOMPARE(dpo.size(), size_t(1));
        QCOMPARE(dpo[0].check, std::string("weak_implicit_reward"));
        QVERIFY(dpo[0].message.starts_with("DPO's implicit reward ranks 0.58 of held-out pairs "
                                           "right at step 300 (expected 0.6)"));
        QVERIFY(check(weak, {}, rlhf::store::RunStage::Pretrain).empty());
        QVERIFY(check(weak, {}, rlhf::store::RunStage::Ppo).empty());
    }

    void zeroSpreadGroups()
    {
        // 5-point means: step 5 (0.2 + 0.4 + 0.5 + 0.6 + 0.7) / 5 = 0.48, quiet; step 6
        // (0.4 + 0.5 + 0.6 + 0.7 + 0.9) / 5 = 0.62 > 0.5.
        Metrics metrics{{"rl/zero_spread_groups", series({0.2, 0.4, 0.5, 0.6, 0.7, 0.9, 0.9})}};
        HealthWarning w = only(metrics);
        QCOMPARE(w.check, std::string("zero_spread"));
        QCOMPARE(w.step, int64_t(6));
        QCOMPARE(
            w.message,
            std::string("GRPO learns nothing from 62% of its groups at step 6 (mean of 5 "
                        "steps): every reply to a prompt got the same reward (all right or all "
                        "wrong); raise rollout.group_size or rollout.temperature, or turn "
                        "on policy.dynamic_sampling"));
        // With dynamic sampling on already (it logs rl/extra_prompts), other advice.
        metrics["rl/extra_prompts"] = series({4, 4, 4, 4, 4, 4, 4});
        w = only(metrics);
        QVERIFY2(w.message.ends_with("rollout.temperature, or train on prompts the policy gets "
                                     "right only sometimes (dynamic sampling already spends extra "
                                     "draws replacing these groups)"),
                 w.message.c_str());
        // One batch where every group agreed is not a trend.
        QVERIFY(check({{"rl/zero_spread_groups", series({0.1, 0.1, 1.0, 0.1, 0.1, 0.1})}}).empty());
    }

    void truncatedReplies()
    {
        // (0.3 + 0.5 + 0.6 + 0.7 + 0.8) / 5 = 0.58 at step 5
        const HealthWarning w = only({{"rl/truncation_rate", series({0.3, 0.5, 0.6, 0.7, 0.8})}});
        QCOMPARE(w.check, std::string("truncation"));
        QCOMPARE(w.step, int64_t(5));
        QCOMPARE(w.message,
                 std::string("58% of replies ran out of tokens without ending at step 5 (mean of "
                             "5 steps): raise rollout.max_new_tokens, or set "
                             "reward.missing_eos_penalty (e.g. -1) so the policy learns to "
                             "finish"));
        // four points are not a full window
        QVERIFY(check({{"rl/truncation_rate", series({0.9, 0.9, 0.9, 0.9})}}).empty());
    }

    void valueExplainsNothing()
    {
        // 9 points below 0 (steps 1-9), one above (step 10), then 10 below: the 10th in a row is
        // step 20.
        std::vector<double> explained(9, -0.5);
        explained.push_back(0.1);
        explained.insert(explained.end(), 10, -0.2);
        const HealthWarning w = only({{"rl/value_explained_variance", series(explained)}});
        QCOMPARE(w.check, std::string("value_unexplained"));
        QCOMPARE(w.step, int64_t(20));
        QCOMPARE(w.message,
                 std::string("the value model predicted the returns worse than a constant for 10 "
                             "steps running (explained variance -0.2 at step 20), so its "
                             "advantages are noise; raise value.lr, or start it from the reward "
                             "model (value.init)"));
        explained.pop_back(); // nine in a row: quiet
        QVERIFY(check({{"rl/value_explained_variance", series(explained)}}).empty());
    }

    void upperClipOften()
    {
        // step 5: (0.1 + 0.15 + 0.2 + 0.25 + 0.28) / 5 = 0.196, quiet;
        // step 6: (0.15 + 0.2 + 0.25 + 0.28 + 0.4) / 5 = 0.256 > 0.2
        const HealthWarning w =
            only({{"rl/clip_fraction_high", series({0.1, 0.15, 0.2, 0.25, 0.28, 0.4})}});
        QCOMPARE(w.check, std::string("clip_high"));
        QCOMPARE(w.step, int64_t(6));
        QCOMPARE(w.message,
                 std::string("the policy hit the upper clip on 25.6% of its tokens at step 6 (mean "
                             "of 5 steps): each batch pushes good replies further than the clip "
                             "allows; lower the learning rate or policy.epochs, or raise "
                             "policy.clip_range_high (DAPO's clip-higher, e.g. 0.28)"));
    }

    void warningsInStepOrder()
    {
        Metrics metrics = healthyRun();
        metrics["rl/kl"] = series({1, 2, 11}, 30);            // kl_exploding at step 32
        metrics["rl/ratio_var"] = series({0.5, 1.2, 0.5}, 4); // ratio_drift at step 5
        const std::vector<HealthWarning> warnings = check(metrics);
        QCOMPARE(warnings.size(), size_t(2));
        QCOMPARE(warnings[0].check, std::string("ratio_drift"));
        QCOMPARE(warnings[0].step, int64_t(5));
        QCOMPARE(warnings[1].check, std::string("kl_exploding"));
        QCOMPARE(warnings[1].step, int64_t(32));
    }
};

QTEST_APPLESS_MAIN(TestHealthChecks)
#include "test_health_checks.moc"
