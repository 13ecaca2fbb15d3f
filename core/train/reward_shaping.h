// The standard defences against over-optimising a learned reward, applied to the reward models'
// scores before rules and penalties are added: an ensemble of reward models (mean, or a lower
// confidence bound that pays for their disagreement, Coste et al. 2023), normalisation over the
// batch (each step's scores to mean 0, std 1, so the KL coefficient keeps its meaning as the
// reward model's scale drifts), and clipping (|score| <= clip, so no single reply's reward can
// dominate a step). Pure functions on tensors, each checked by hand in test_reward_shaping.
#pragma once

#include "core/util/word_table.h"

#include <ATen/core/Tensor.h>

namespace rlhf::train {

enum class EnsembleAggregate {
    Mean, // the models' mean score
    Lcb,  // mean - lcb_k * std over the models: uncertain replies score lower
    Min,  // the lowest score of any model (the most cautious)
};

inline constexpr WordTable<EnsembleAggregate, 3> ensembleAggregateWords{{
    {EnsembleAggregate::Mean, "mean"},
    {EnsembleAggregate::Lcb, "lcb"},
    {EnsembleAggregate::Min, "min"},
}};

enum class RewardNormalization {
    None,  // scores as the models give them
    Batch, // (score - batch mean) / (batch std + 1e-8), std unbiased
};

inline constexpr WordTable<RewardNormalization, 2> rewardNormalizationWords{{
    {RewardNormalization::None, "none"},
    {RewardNormalization::Batch, "batch"},
}};

struct RewardShaping {
    EnsembleAggregate aggregate = EnsembleAggregate::Mean;
    double lcbK = 1.0; // lcb: how many standard deviations below the mean, e.g. 1.0
    RewardNormalization normalize = RewardNormalization::None;
    double clip = 0; // > 0: scores clamped to [-clip, clip] after normalising, e.g. 5
};

struct ShapedScores {
    at::Tensor scores; // (B) float64
    at::Tensor spread; // (B) the models' std per reply (population); 0 with one model
};

// scores (M, B): M reward models' scores of B replies. Aggregate over the models, then
// normalise over the batch, then clip.
ShapedScores shapeRewardScores(const at::Tensor& scores, const RewardShaping& shaping);

} // namespace rlhf::train
