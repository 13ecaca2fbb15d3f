#include "core/train/reward_report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace rlhf::train {

namespace {

double pearson(const std::vector<double>& x, const std::vector<double>& y)
{
    const double n = double(x.size());
    if (x.size() < 2) return 0;
    double mx = 0, my = 0;
    for (size_t i = 0; i < x.size(); ++i)
        mx += x[i] / n, my += y[i] / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
}

// Up to four buckets split at the quartiles of `length(pair)`; equal lengths share a bucket.
std::vector<LengthBucket> quartileBuckets(const std::vector<PairScore>& pairs,
                                          const std::function<int64_t(const PairScore&)>& length)
{
    std::vector<int64_t> sorted;
    for (const auto& pair : pairs)
        sorted.push_back(length(pair));
    std::sort(sorted.begin(), sorted.end());
    std::vector<LengthBucket> buckets;
    for (size_t quarter = 0; quarter < 4; ++quarter) {
        // Quarter q holds sorted[begin, end); with fewer than four pairs some quarters are empty.
        const size_t begin = sorted.size() * quarter / 4, end = sorted.size() * (quarter + 1) / 4;
        if (begin == end) continue;
        const auto from = sorted[begin];
        const auto to = sorted[end - 1];
        if (!buckets.empty() && from <= buckets.back().to) {
            buckets.back().to = std::max(buckets.back().to, to);
            continue;
        }
        buckets.push_back({from, to, 0, 0});
    }
    if (!buckets.empty()) buckets.back().to = sorted.back();
    for (auto& bucket : buckets) {
        int64_t right = 0;
        for (const auto& pair : pairs) {
            const int64_t value = length(pair);
            if (value < bucket.from || value > bucket.to) continue;
            ++bucket.pairs;
            right += pair.chosen > pair.rejected ? 1 : 0;
        }
        bucket.accuracy = bucket.pairs > 0 ? double(right) / double(bucket.pairs) : 0;
    }
    return buckets;
}

nlohmann::json bucketsJson(const std::vector<LengthBucket>& buckets)
{
    nlohmann::json list = nlohmann::json::array();
    for (const auto& bucket : buckets)
        list.push_back({{"from", bucket.from},
                        {"to", bucket.to},
                        {"pairs", bucket.pairs},
                        {"accuracy", bucket.accuracy}});
    return list;
}

std::string bucketsLine(const char* title, const std::vector<LengthBucket>& buckets)
{
    std::string line = title;
    char text[64];
    for (const auto& bucket : buckets) {
        std::snprintf(text, sizeof(text), "  %lld-%lld: %.3f (%lld)", (long long)bucket.from,
                      (long long)bucket.to, bucket.accuracy, (long long)bucket.pairs);
        line += text;
    }
    return line;
}

// Up to five buckets of pairs split at the quintiles of the score gap |chosen - rejected|.
std::vector<GapBucket> gapBuckets(const std::vector<PairScore>& pairs)
{
    std::vector<std::pair<double, bool>> gaps; // |gap|, the higher-scored reply is the chosen
    for (const auto& pair : pairs)
        gaps.emplace_back(std::abs(pair.chosen - pair.rejected), pair.chosen > pair.rejected);
    std::sort(gaps.begin(), gaps.end());
    std::vector<GapBucket> buckets;
    for (size_t fifth = 0; fifth < 5; ++fifth) {
        const size_t begin = gaps.size() * fifth / 5, end = gaps.size() * (fifth + 1) / 5;
        if (begin == end) continue;
        GapBucket bucket{gaps[begin].first, gaps[end - 1].first, int64_t(end - begin), 0, 0};
        for (size_t i = begin; i < end; ++i) {
            bucket.accuracy += gaps[i].second ? 1.0 / double(bucket.pairs) : 0.0;
            bucket.confidence += 1.0 / (1.0 + std::exp(-gaps[i].first)) / double(bucket.pairs);
        }
        buckets.push_back(bucket);
    }
    return buckets;
}

nlohmann::json gapBucketsJson(const std::vector<GapBucket>& buckets)
{
    nlohmann::json list = nlohmann::json::array();
    for (const auto& bucket : buckets)
        list.push_back({{"gap_from", bucket.from},
                        {"gap_to", bucket.to},
                        {"pairs", bucket.pairs},
                        {"accuracy", bucket.accuracy},
                        {"confidence", bucket.confidence}});
    return list;
}

} // namespace

RewardReport rewardReport(const std::vector<PairScore>& pairs)
{
    RewardReport report;
    report.pairs = int64_t(pairs.size());
    if (pairs.empty()) return report;
    std::vector<double> scores, lengths;
    int64_t right = 0;
    for (const auto& pair : pairs) {
        right += pair.chosen > pair.rejected ? 1 : 0;
        report.meanMargin += (pair.chosen - pair.rejected) / double(pairs.size());
        scores.push_back(pair.chosen);
        scores.push_back(pair.rejected);
        lengths.push_back(double(pair.chosenTokens));
        lengths.push_back(double(pair.rejectedTokens));
    }
    report.accuracy = double(right) / double(pairs.size());
    for (const double score : scores)
        report.scoreMean += score / double(scores.size());
    double variance = 0;
    for (const double score : scores)
        variance += (score - report.scoreMean) * (score - report.scoreMean) / double(scores.size());
    report.scoreStd = std::sqrt(variance);
    report.byPromptLength =
        quartileBuckets(pairs, [](const PairScore& pair) { return pair.promptTokens; });
    report.byResponseLength = quartileBuckets(
        pairs, [](const PairScore& pair) { return (pair.chosenTokens + pair.rejectedTokens) / 2; });
    report.lengthCorrelation = pearson(lengths, scores);
    report.calibration = gapBuckets(pairs);
    for (const auto& bucket : report.calibration)
        report.calibrationError += double(bucket.pairs) / double(pairs.size()) *
                                   std::abs(bucket.accuracy - bucket.confidence);
    int64_t chosenLonger = 0, prefersLonger = 0;
    for (const auto& pair : pairs) {
        if (pair.chosenTokens == pair.rejectedTokens) continue;
        ++report.unequalLengthPairs;
        const bool longerIsChosen = pair.chosenTokens > pair.rejectedTokens;
        chosenLonger += longerIsChosen ? 1 : 0;
        const double longer = longerIsChosen ? pair.chosen : pair.rejected;
        const double shorter = longerIsChosen ? pair.rejected : pair.chosen;
        prefersLonger += longer > shorter ? 1 : 0;
    }
    if (report.unequalLengthPairs > 0) {
        report.chosenLonger = double(chosenLonger) / double(report.unequalLengthPairs);
        report.prefersLonger = double(prefersLonger) / double(report.unequalLengthPairs);
    }
    return report;
}

nlohmann::json RewardReport::toJson() const
{
    return {{"pairs", pairs},
            {"accuracy", accuracy},
            {"mean_margin", meanMargin},
            {"score_mean", scoreMean},
            {"score_std", scoreStd},
            {"by_prompt_length", bucketsJson(byPromptLength)},
            {"by_response_length", bucketsJson(byResponseLength)},
            {"length_correlation", lengthCorrelation},
            {"calibration", gapBucketsJson(calibration)},
            {"calibration_error", calibrationError},
            {"length_bias",
             {{"unequal_length_pairs", unequalLengthPairs},
              {"chosen_longer", chosenLonger},
              {"prefers_longer", prefersLonger}}},
            {"on_policy", onPolicy ? nlohmann::json{{"prompts", onPolicy->prompts},
                                                    {"replies", onPolicy->replies},
                                                    {"pairs", onPolicy->pairs},
                                                    {"accuracy", onPolicy->accuracy},
                                                    {"reply_accuracy", onPolicy->replyAccuracy}}
                                   : nlohmann::json()}};
}

std::string RewardReport::summary() const
{
    char text[256];
    std::snprintf(text, sizeof(text),
                  "reward model on %lld held-out pairs: accuracy %.3f, margin %.3f, score %.3f +- "
                  "%.3f, length correlation %+.3f\n",
                  (long long)pairs, accuracy, meanMargin, scoreMean, scoreStd, lengthCorrelation);
    std::string lines = text + bucketsLine("  accuracy by prompt length:", byPromptLength) + "\n" +
                        bucketsLine("  accuracy by response length:", byResponseLength);
    lines += "\n  calibration (score gap: accuracy / Bradley-Terry confidence):";
    for (const auto& bucket : calibration) {
        std::snprintf(text, sizeof(text), "  %.2f-%.2f: %.3f / %.3f", bucket.from, bucket.to,
                      bucket.accuracy, bucket.confidence);
        lines += text;
    }
    std::snprintf(text, sizeof(text),
                  "; error %.3f\n  length: the chosen reply is the longer in %.3f of %lld pairs "
                  "of unequal length, the model prefers the longer in %.3f",
                  calibrationError, chosenLonger, (long long)unequalLengthPairs, prefersLonger);
    lines += text;
    if (onPolicy) {
        std::snprintf(text, sizeof(text),
                      "\n  on-policy: %lld replies to %lld held-out prompts (%.3f right by the "
                      "rule): accuracy %.3f on %lld right/wrong pairs",
                      (long long)onPolicy->replies, (long long)onPolicy->prompts,
                      onPolicy->replyAccuracy, onPolicy->accuracy, (long long)onPolicy->pairs);
        lines += text;
    }
    return lines;
}

} // namespace rlhf::train
