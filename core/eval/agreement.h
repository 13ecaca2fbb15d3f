// Inter-annotator agreement over the labeling pane's judgments: Cohen's kappa for each pair of
// annotators and Fleiss' kappa over everyone, both chance-corrected (1 = perfect agreement,
// 0 = what chance would give, < 0 = worse than chance). Categories are the four judgments
// (A, B, tie, both bad). Qt-free and torch-free.
#pragma once

#include "core/store/label_records.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rlhf::eval {

// Cohen's kappa of two raters who rated the same items: first[i] and second[i] are their
// categories (0 .. categories-1) for item i. kappa = (po - pe) / (1 - pe), po the observed
// agreement, pe the agreement expected from each rater's marginal shares. nullopt for no items
// or when pe = 1 (both raters always gave the one same category: kappa is undefined).
std::optional<double> cohensKappa(std::span<const int> first, std::span<const int> second,
                                  int categories);

// Fleiss' kappa: counts[i][j] = how many raters put item i in category j. Items may have
// different numbers of raters (the per-item agreement P_i = (sum_j n_ij^2 - n_i) /
// (n_i (n_i - 1)) is averaged, category shares p_j pooled over all ratings); items with fewer
// than 2 ratings are ignored. nullopt when no item has 2 ratings or when pe = 1.
std::optional<double> fleissKappa(const std::vector<std::vector<int64_t>>& counts);

struct PairAgreement {
    std::string first, second; // annotators, first < second
    int64_t items = 0;         // items both labelled
    std::optional<double> kappa;
};

struct AgreementReport {
    std::vector<PairAgreement> pairs; // every pair of annotators with >= 1 common item, sorted
    std::optional<double> fleiss;     // over the items with >= 2 labels
    int64_t sharedItems = 0;          // items with >= 2 labels
};

// Agreement of the stored labels (any order).
AgreementReport agreementOf(std::span<const store::Label> labels);

} // namespace rlhf::eval
