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
constexpr size_t valueLossWindow = 10; // points before the current one

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
                               " (below -0.01: the sampler or the reference model is off)");
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
            return warning("kl_exploding", step, "KL " + number(value) + atStep(step));
        if (value > maxKl) {
            return warning("kl_exploding", step,
                           "KL " + number(value) + " nats" + atStep(step) + " (limit " +
                               number(maxKl) + ")");
        }
        doublings =
            i > 0 && kl[i - 1].value > 0 && value >= 2 * kl[i - 1].value ? doublings + 1 : 0;
        if (doublings >= klDoublings) {
            const double start = kl[i - size_t(klDoublings)].value;
            if (start >= klDoublingFloor * maxKl) {
                return warning("kl_exploding", step,
                               "KL doubled " + std::to_string(klDoublings) + " evals running, " +
                                   number(start) + " -> " + number(value) + " nats" + atStep(step) +
                                   " (limit " + number(maxKl) + ")");
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
                               ")");
            break;
        }
    }
    Found variance;
    for (const SeriesPoint& point : ratioVariance) {
        if (!(point.value <= maxRatioVariance)) {
            variance = warning("ratio_drift", point.step,
                               "PPO ratio variance " + number(point.value) + atStep(point.step) +
                                   " (limit " + number(maxRatioVariance) + ")");
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
                               number(accuracyNow) + atStep(step));
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
                               number(factor) + "x its start (" + number(start) + ")");
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
            return warning("value_diverging", step, "value loss " + number(value) + atStep(step));
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
                               " of the " + std::to_string(valueLossWindow) + " points before");
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
                       " (needs " + number(minimum) + ")");
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
