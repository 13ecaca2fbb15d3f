// The run health checks: one small function per check, each scanning its series in step order
// and returning the first step where its condition held. The thresholds and the exact
// conditions are described in health_checks.h.
#include "core/train/health_checks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace rlhf::train {

namespace {

using Series = std::vector<SeriesPoint>;
using Found = std::optional<HealthWarning>;

constexpr double minMeanKl = -0.01;     // nats; a mean below this is not sampling noise
constexpr size_t klMeanPoints = 5;      // points in the trailing KL mean
constexpr int64_t klDoublings = 3;      // consecutive doublings that warn
constexpr double klDoublingFloor = 0.1; // of maxKl: where doubling starts to count
constexpr double minRatioMean = 0.8;
constexpr double maxRatioMean = 1.25;
constexpr double maxRatioVariance = 1.0;
constexpr size_t minScorePoints = 8;    // so the first quarter has 2 points for its std
constexpr size_t minAccuracyPoints = 4; // so each quarter has a point
constexpr double maxLengthFactor = 3.0; // response length change from its start, either way
constexpr double maxValueLossFactor = 10.0;
constexpr size_t valueLossWindow = 10;   // points before the current one
constexpr size_t ratePoints = 5;         // the trailing window of the share checks below
constexpr double maxZeroSpread = 0.5;    // share of GRPO groups whose replies all scored alike
constexpr double maxTruncation = 0.5;    // share of replies without the end token
constexpr double maxHighClip = 0.2;      // share of tokens at the upper clip
constexpr size_t unexplainedPoints = 10; // value explained variance below 0 this long

// What to try, shared by the conditions of one check.
constexpr const char* klAdvice = "raise kl.coef or set kl.target, or lower the learning rate";
constexpr const char* ratioAdvice =
    "each batch moves the policy too far; lower the learning rate or policy.epochs";
constexpr const char* valueAdvice = "lower value.lr or value.clip_range";

// Three significant digits: "14.2", "10", "0.8", "nan".
std::string number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", value);
    return text;
}

std::string atStep(int64_t step)
{
    return " at step " + std::to_string(step);
}

// A share as a percentage, three significant digits: "62%", "50.2%".
std::string percent(double share)
{
    return number(100 * share) + "%";
}

Found warning(std::string_view check, int64_t step, std::string message)
{
    return HealthWarning{std::string(check), step, std::move(message)};
}

// The earlier of two findings; the first one on a tie.
Found earlier(Found first, Found second)
{
    if (!first) return second;
    if (!second) return first;
    return second->step < first->step ? second : first;
}

Found klNegative(const Series& kl)
{
    // A full window only: the first steps' k1 estimates are a few nats of noise around zero.
    for (size_t i = klMeanPoints - 1; i < kl.size(); ++i) {
        const size_t count = klMeanPoints;
        double sum = 0;
        for (size_t j = i + 1 - count; j <= i; ++j)
            sum += kl[j].value;
        const double mean = sum / double(count);
        if (mean < minMeanKl) {
            return warning("kl_negative", kl[i].step,
                           "mean KL " + number(mean) + " nats over " + std::to_string(count) +
                               " points" + atStep(kl[i].step) +
                               " (below -0.01): the sampler or the reference model is off; "
                               "sample rollouts from the policy's whole distribution (top_k 0, "
                               "top_p 1)");
        }
    }
    return std::nullopt;
}

Found klExploding(const Series& kl, double maxKl)
{
    int64_t doublings = 0; // consecutive points at least double the one before
    for (size_t i = 0; i < kl.size(); ++i) {
        const double value = kl[i].value;
        const int64_t step = kl[i].step;
        if (!std::isfinite(value))
            return warning("kl_exploding", step,
                           "KL " + number(value) + atStep(step) +
                               ": the training diverged; lower the learning rate");
        if (value > maxKl) {
            return warning("kl_exploding", step,
                           "KL " + number(value) + " nats" + atStep(step) + " (limit " +
                               number(maxKl) + "): the policy runs away from the reference; " +
                               klAdvice);
        }
        doublings =
            i > 0 && kl[i - 1].value > 0 && value >= 2 * kl[i - 1].value ? doublings + 1 : 0;
        if (doublings >= klDoublings) {
            const double start = kl[i - size_t(klDoublings)].value;
            if (start >= klDoublingFloor * maxKl) {
                return warning("kl_exploding", step,
                               "KL doubled " + std::to_string(klDoublings) + " evals running, " +
                                   number(start) + " -> " + number(value) + " nats" + atStep(step) +
                                   " (limit " + number(maxKl) + "): " + klAdvice);
            }
        }
    }
    return std::nullopt;
}

Found ratioDrift(const Series& ratioMean, const Series& ratioVariance)
{
    Found mean;
    for (const SeriesPoint& point : ratioMean) {
        if (!(point.value >= minRatioMean && point.value <= maxRatioMean)) {
            mean = warning("ratio_drift", point.step,
                           "PPO ratio mean " + number(point.value) + atStep(point.step) +
                               " (allowed " + number(minRatioMean) + " to " + number(maxRatioMean) +
                               "): " + ratioAdvice);
            break;
        }
    }
    Found variance;
    for (const SeriesPoint& point : ratioVariance) {
        if (!(point.value <= maxRatioVariance)) {
            variance = warning("ratio_drift", point.step,
                               "PPO ratio variance " + number(point.value) + atStep(point.step) +
                                   " (limit " + number(maxRatioVariance) + "): " + ratioAdvice);
            break;
        }
    }
    return earlier(std::move(mean), std::move(variance));
}

// Prefix sums of a series, shifted by its first value so the variance of values far from zero
// keeps its precision: sums[k] covers points [0, k).
struct PrefixSums {
    explicit PrefixSums(const Series& series)
    {
        shift = series.empty() ? 0 : series.front().value;
        sum.push_back(0);
        squares.push_back(0);
        for (const SeriesPoint& point : series) {
            const double x = point.value - shift;
            sum.push_back(sum.back() + x);
            squares.push_back(squares.back() + x * x);
        }
    }
    // Mean of points [begin, end).
    double mean(size_t begin, size_t end) const
    {
        return shift + (sum[end] - sum[begin]) / double(end - begin);
    }
    // Population standard deviation of points [0, count).
    double firstStd(size_t count) const
    {
        const double m = sum[count] / double(count);
        return std::sqrt(std::max(0.0, squares[count] / double(count) - m * m));
    }

    double shift = 0;
    std::vector<double> sum;
    std::vector<double> squares;
};

size_t quarter(size_t points)
{
    return std::max<size_t>(1, points / 4);
}

// Score up by more than its early spread while the true task accuracy falls, judged at every
// step either series logged, on both series cut at that step.
Found rewardUpAccuracyDown(const Series& score, const Series& accuracy)
{
    std::vector<int64_t> steps;
    for (const SeriesPoint& point : score)
        steps.push_back(point.step);
    for (const SeriesPoint& point : accuracy)
        steps.push_back(point.step);
    std::sort(steps.begin(), steps.end());
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());

    const PrefixSums scoreSums(score);
    const PrefixSums accuracySums(accuracy);
    size_t scoreCount = 0;
    size_t accuracyCount = 0;
    for (const int64_t step : steps) {
        while (scoreCount < score.size() && score[scoreCount].step <= step)
            ++scoreCount;
        while (accuracyCount < accuracy.size() && accuracy[accuracyCount].step <= step)
            ++accuracyCount;
        if (scoreCount < minScorePoints || accuracyCount < minAccuracyPoints) continue;

        const size_t q = quarter(scoreCount);
        const double rise = scoreSums.mean(scoreCount - q, scoreCount) - scoreSums.mean(0, q);
        const double spread = scoreSums.firstStd(q);
        const size_t a = quarter(accuracyCount);
        const double accuracyBefore = accuracySums.mean(0, a);
        const double accuracyNow = accuracySums.mean(accuracyCount - a, accuracyCount);
        if (rise > spread && accuracyNow < accuracyBefore) {
            return warning("reward_hacking", step,
                           "score up " + number(rise) + " (first-quarter std " + number(spread) +
                               ") while task accuracy fell " + number(accuracyBefore) + " -> " +
                               number(accuracyNow) + atStep(step) +
                               ": the policy games the reward; raise kl.coef, keep an earlier "
                               "checkpoint, or retrain the reward model on the policy's replies");
        }
    }
    return std::nullopt;
}

Found lengthDrift(const Series& length)
{
    if (length.empty() || !(length.front().value > 0)) return std::nullopt;
    const double start = length.front().value;
    for (const SeriesPoint& point : length) {
        const double factor = point.value / start;
        if (factor > maxLengthFactor || factor < 1 / maxLengthFactor) {
            return warning("reward_hacking", point.step,
                           "response length " + number(point.value) + atStep(point.step) + ", " +
                               number(factor) + "x its start (" + number(start) + ")" +
                               (factor > 1 ? ": the reward pays for length; add a length rule "
                                             "term, or raise kl.coef"
                                           : ": the reward pays for brevity; check the "
                                             "reward's length terms, or raise kl.coef"));
        }
    }
    return std::nullopt;
}

Found valueDiverging(const Series& valueLoss)
{
    for (size_t i = 0; i < valueLoss.size(); ++i) {
        const double value = valueLoss[i].value;
        const int64_t step = valueLoss[i].step;
        if (!std::isfinite(value))
            return warning("value_diverging", step,
                           "value loss " + number(value) + atStep(step) + ": " + valueAdvice);
        // The first steps only calibrate a fresh value head: judge once a full window exists.
        if (i < valueLossWindow) continue;
        double minimum = std::numeric_limits<double>::infinity();
        for (size_t j = i - valueLossWindow; j < i; ++j) {
            if (valueLoss[j].value > 0) minimum = std::min(minimum, valueLoss[j].value);
        }
        if (std::isfinite(minimum) && value > maxValueLossFactor * minimum) {
            return warning("value_diverging", step,
                           "value loss " + number(value) + atStep(step) + ", " +
                               number(value / minimum) + "x the minimum " + number(minimum) +
                               " of the " + std::to_string(valueLossWindow) +
                               " points before: " + valueAdvice);
        }
    }
    return std::nullopt;
}

Found weakRewardModel(const Series& accuracy, double minimum)
{
    if (accuracy.empty()) return std::nullopt;
    const SeriesPoint& latest = accuracy.back();
    if (latest.value >= minimum) return std::nullopt;
    return warning("weak_reward_model", latest.step,
                   "reward model held-out accuracy " + number(latest.value) + atStep(latest.step) +
                       " (needs " + number(minimum) +
                       "): too weak to train a policy against; label more pairs, train it "
                       "longer, or check that the chosen replies are the better ones");
}

Found weakImplicitReward(const Series& accuracy, double minimum)
{
    if (accuracy.empty()) return std::nullopt;
    const SeriesPoint& latest = accuracy.back();
    if (latest.value >= minimum) return std::nullopt;
    return warning("weak_implicit_reward", latest.step,
                   "DPO's implicit reward ranks " + number(latest.value) +
                       " of held-out pairs right" + atStep(latest.step) + " (expected " +
                       number(minimum) +
                       "): noisy preference data, or beta or the learning "
                       "rate too high or too low");
}

// The first point where the mean of the last ratePoints points (a full window) is above
// `limit`: that point and the mean.
std::optional<std::pair<SeriesPoint, double>> trailingMeanAbove(const Series& series, double limit)
{
    double sum = 0;
    for (size_t i = 0; i < series.size(); ++i) {
        sum += series[i].value;
        if (i >= ratePoints) sum -= series[i - ratePoints].value;
        if (i + 1 < ratePoints) continue;
        const double mean = sum / double(ratePoints);
        if (mean > limit) return std::pair{series[i], mean};
    }
    return std::nullopt;
}

std::string overSteps()
{
    return " (mean of " + std::to_string(ratePoints) + " steps)";
}

// `dynamicSampling`: the run logged rl/extra_prompts, so it already draws more prompts.
Found zeroSpread(const Series& share, bool dynamicSampling)
{
    const auto found = trailingMeanAbove(share, maxZeroSpread);
    if (!found) return std::nullopt;
    const auto& [point, mean] = *found;
    return warning("zero_spread", point.step,
                   "GRPO learns nothing from " + percent(mean) + " of its groups" +
                       atStep(point.step) + overSteps() +
                       ": every reply to a prompt got the same reward (all right or all "
                       "wrong); raise rollout.group_size or rollout.temperature" +
                       (dynamicSampling ? ", or train on prompts the policy gets right only "
                                          "sometimes (dynamic sampling already spends extra "
                                          "draws replacing these groups)"
                                        : ", or turn on policy.dynamic_sampling"));
}

Found truncation(const Series& share)
{
    const auto found = trailingMeanAbove(share, maxTruncation);
    if (!found) return std::nullopt;
    const auto& [point, mean] = *found;
    return warning("truncation", point.step,
                   percent(mean) + " of replies ran out of tokens without ending" +
                       atStep(point.step) + overSteps() +
                       ": raise rollout.max_new_tokens, or set reward.missing_eos_penalty "
                       "(e.g. -1) so the policy learns to finish");
}

Found valueUnexplained(const Series& explained)
{
    size_t below = 0; // consecutive points below 0
    for (const SeriesPoint& point : explained) {
        below = point.value < 0 ? below + 1 : 0;
        if (below < unexplainedPoints) continue;
        return warning("value_unexplained", point.step,
                       "the value model predicted the returns worse than a constant for " +
                           std::to_string(unexplainedPoints) +
                           " steps running (explained variance " + number(point.value) +
                           atStep(point.step) +
                           "), so its advantages are noise; raise value.lr, or start it from "
                           "the reward model (value.init)");
    }
    return std::nullopt;
}

Found clipHigh(const Series& share)
{
    const auto found = trailingMeanAbove(share, maxHighClip);
    if (!found) return std::nullopt;
    const auto& [point, mean] = *found;
    return warning("clip_high", point.step,
                   "the policy hit the upper clip on " + percent(mean) + " of its tokens" +
                       atStep(point.step) + overSteps() +
                       ": each batch pushes good replies further than the clip allows; lower "
                       "the learning rate or policy.epochs, or raise policy.clip_range_high "
                       "(DAPO's clip-higher, e.g. 0.28)");
}

// The series by ascending step, whatever order the lookup gave.
Series sortedSeries(const SeriesLookup& lookup, std::string_view name)
{
    Series series = lookup(name);
    std::stable_sort(series.begin(), series.end(),
                     [](const SeriesPoint& a, const SeriesPoint& b) { return a.step < b.step; });
    return series;
}

} // namespace

std::vector<HealthWarning> checkRunHealth(const SeriesLookup& series, store::RunStage stage,
                                          const HealthLimits& limits)
{
    const Series heldOutAccuracy = sortedSeries(series, "val/accuracy");
    const Series kl = sortedSeries(series, "rl/kl");
    const Series score = sortedSeries(series, "rl/score");
    const Series accuracy = sortedSeries(series, "task/accuracy");

    std::vector<HealthWarning> warnings;
    for (Found found : {
             klNegative(kl),
             klExploding(kl, limits.maxKl),
             ratioDrift(sortedSeries(series, "rl/ratio_mean"),
                        sortedSeries(series, "rl/ratio_var")),
             earlier(rewardUpAccuracyDown(score, accuracy),
                     lengthDrift(sortedSeries(series, "rl/response_length"))),
             valueDiverging(sortedSeries(series, "rl/value_loss")),
             zeroSpread(sortedSeries(series, "rl/zero_spread_groups"),
                        !series("rl/extra_prompts").empty()),
             truncation(sortedSeries(series, "rl/truncation_rate")),
             valueUnexplained(sortedSeries(series, "rl/value_explained_variance")),
             clipHigh(sortedSeries(series, "rl/clip_fraction_high")),
             stage == store::RunStage::Reward
                 ? weakRewardModel(heldOutAccuracy, limits.minRewardModelAccuracy)
                 : std::nullopt,
             stage == store::RunStage::Dpo
                 ? weakImplicitReward(heldOutAccuracy, limits.minRewardModelAccuracy)
                 : std::nullopt,
         }) {
        if (found) warnings.push_back(std::move(*found));
    }
    std::stable_sort(
        warnings.begin(), warnings.end(),
        [](const HealthWarning& a, const HealthWarning& b) { return a.step < b.step; });
    return warnings;
}

} // namespace rlhf::train
