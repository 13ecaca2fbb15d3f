// Cohen's and Fleiss' kappa, and the labeling pane's agreement report built from them. Pure
// counting: no store access here, the caller passes the labels in.
#include "core/eval/agreement.h"

#include "core/util/error.h"

#include <map>

namespace rlhf::eval {

namespace {

// The four judgments are the categories of the labeling pane's agreement.
constexpr int judgmentCategories = 4;

// When pe is this close to 1 the denominator 1 - pe is rounding noise: kappa is undefined.
constexpr double certainChance = 1e-12;

std::optional<double> chanceCorrected(double observed, double expected)
{
    if (expected >= 1.0 - certainChance) return std::nullopt;
    return (observed - expected) / (1.0 - expected);
}

} // namespace

std::optional<double> cohensKappa(std::span<const int> first, std::span<const int> second,
                                  int categories)
{
    if (first.size() != second.size())
        throw Error("cohensKappa: the raters rated " + std::to_string(first.size()) + " and " +
                    std::to_string(second.size()) + " items, expected the same items");
    if (categories < 1)
        throw Error("cohensKappa: categories must be >= 1, got " + std::to_string(categories));
    if (first.empty()) return std::nullopt;

    std::vector<double> firstShare(categories), secondShare(categories);
    int64_t agreed = 0;
    for (size_t i = 0; i < first.size(); ++i) {
        for (const int category : {first[i], second[i]})
            if (category < 0 || category >= categories)
                throw Error("cohensKappa: item " + std::to_string(i) + ": category " +
                            std::to_string(category) + " is outside 0.." +
                            std::to_string(categories - 1));
        firstShare[first[i]] += 1;
        secondShare[second[i]] += 1;
        agreed += first[i] == second[i];
    }
    const double n = double(first.size());
    double expected = 0; // both raters picking category j independently, summed over j
    for (int j = 0; j < categories; ++j)
        expected += (firstShare[j] / n) * (secondShare[j] / n);
    return chanceCorrected(double(agreed) / n, expected);
}

std::optional<double> fleissKappa(const std::vector<std::vector<int64_t>>& counts)
{
    size_t categories = 0;
    for (const auto& row : counts)
        categories = std::max(categories, row.size());

    std::vector<double> categoryTotals(categories);
    double agreementSum = 0, ratings = 0;
    int64_t items = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        int64_t raters = 0, sameRaterPairs = 0; // sum_j n_ij and sum_j n_ij^2
        for (const int64_t count : counts[i]) {
            if (count < 0)
                throw Error("fleissKappa: item " + std::to_string(i) + ": negative count " +
                            std::to_string(count));
            raters += count;
            sameRaterPairs += count * count;
        }
        // One rating cannot agree or disagree with anything; it would also make P_i 0/0.
        if (raters < 2) continue;
        agreementSum += double(sameRaterPairs - raters) / double(raters * (raters - 1));
        for (size_t j = 0; j < counts[i].size(); ++j)
            categoryTotals[j] += double(counts[i][j]);
        ratings += double(raters);
        ++items;
    }
    if (items == 0) return std::nullopt;

    double expected = 0;
    for (const double total : categoryTotals)
        expected += (total / ratings) * (total / ratings);
    return chanceCorrected(agreementSum / double(items), expected);
}

AgreementReport agreementOf(std::span<const store::Label> labels)
{
    // annotator -> item -> category; the store keeps one label per (item, annotator), so a
    // repeat here can only come from a caller's own list: the later one wins, as in the store.
    std::map<std::string, std::map<store::Id, int>> byAnnotator;
    for (const auto& label : labels)
        byAnnotator[label.annotator][label.item] = int(label.judgment);

    AgreementReport report;
    for (auto first = byAnnotator.begin(); first != byAnnotator.end(); ++first) {
        for (auto second = std::next(first); second != byAnnotator.end(); ++second) {
            std::vector<int> firstCategories, secondCategories;
            for (const auto& [item, category] : first->second) {
                const auto other = second->second.find(item);
                if (other == second->second.end()) continue;
                firstCategories.push_back(category);
                secondCategories.push_back(other->second);
            }
            if (firstCategories.empty()) continue;
            report.pairs.push_back(
                {.first = first->first,
                 .second = second->first,
                 .items = int64_t(firstCategories.size()),
                 .kappa = cohensKappa(firstCategories, secondCategories, judgmentCategories)});
        }
    }

    std::map<store::Id, std::vector<int64_t>> byItem;
    for (const auto& [annotator, items] : byAnnotator)
        for (const auto& [item, category] : items) {
            auto& row = byItem[item];
            row.resize(judgmentCategories);
            ++row[category];
        }
    std::vector<std::vector<int64_t>> counts;
    for (auto& [item, row] : byItem) {
        int64_t raters = 0;
        for (const int64_t count : row)
            raters += count;
        if (raters < 2) continue;
        counts.push_back(std::move(row));
    }
    report.sharedItems = int64_t(counts.size());
    report.fleiss = fleissKappa(counts);
    return report;
}

} // namespace rlhf::eval
