// The losses and estimators of the alignment stages as small pure functions on tensors, each
// written so a test can check it against its formula by hand. Shapes: B rows (sequences),
// T response positions; `mask` (B, T) is 1.0 on real response tokens and 0.0 on padding.
// Everything is float32; masked means and variances divide by the mask's sum.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace rlhf::train {

// sum(values * mask) / sum(mask): a scalar tensor. An all-zero mask gives 0.
at::Tensor maskedMean(const at::Tensor& values, const at::Tensor& mask);
// Masked variance around the masked mean (unbiased when `unbiased` and sum(mask) > 1).
at::Tensor maskedVariance(const at::Tensor& values, const at::Tensor& mask, bool unbiased = true);
// (values - mean) / sqrt(var + 1e-8) over the masked entries; padding stays 0. With
// shiftMean = false the mean is added back (only the scale changes), as TRL does for rewards.
at::Tensor maskedWhiten(const at::Tensor& values, const at::Tensor& mask, bool shiftMean = true);

// Bradley-Terry reward-model loss: mean over pairs of -log sigmoid(chosen - rejected).
// chosen, rejected: (B) scores. Computed with logsigmoid, so large margins do not overflow.
at::Tensor rewardModelLoss(const at::Tensor& chosen, const at::Tensor& rejected);

// Per-token KL estimators of KL(policy || reference) from log-probabilities of the sampled
// tokens (Schulman, "Approximating KL divergence"): with log r = refLogProbs - logProbs,
//   k1 = -log r                  (unbiased, can be negative per token)
//   k3 = (r - 1) - log r         (unbiased, never negative)
enum class KlEstimator { K1, K3 };
at::Tensor klPerToken(const at::Tensor& logProbs, const at::Tensor& refLogProbs,
                      KlEstimator estimator);

// Generalised advantage estimation over each row's response, right-padded by `mask`:
//   delta_t = r_t + gamma * V_{t+1} - V_t   (V after the last real token is 0)
//   A_t = delta_t + gamma * lambda * A_{t+1};  returns_t = A_t + V_t.
// rewards, values, mask: (B, T). Padding positions of both results are 0.
struct Advantages {
    at::Tensor advantages; // (B, T)
    at::Tensor returns;    // (B, T): the value targets
};
Advantages generalisedAdvantages(const at::Tensor& rewards, const at::Tensor& values,
                                 const at::Tensor& mask, double gamma, double lambda);

// How a per-token loss (B, T) becomes one number over the mask:
//   TokenMean        the sum over every real token of the minibatch / their count: long replies
//                    weigh by their length (DAPO's token-level loss; this project's default)
//   SequenceMean     each row's mean over its real tokens, then the mean over rows (GRPO as
//                    DeepSeekMath wrote it: a token of a short reply weighs more)
//   SequenceSumNorm  each row's sum / `normaliser`, a constant such as max_new_tokens, then the
//                    mean over rows (Dr. GRPO: no length bias either way)
// A row without real tokens counts as 0 in the mean over rows.
enum class LossAggregation { TokenMean, SequenceMean, SequenceSumNorm };
at::Tensor aggregateLoss(const at::Tensor& perToken, const at::Tensor& mask,
                         LossAggregation aggregation, double normaliser = 1.0);

// The q-quantile (q in [0, 1]) of the masked entries, interpolated linearly between order
// statistics as torch.quantile does; 0 for an all-zero mask. Not differentiable.
double maskedQuantile(const at::Tensor& values, const at::Tensor& mask, double q);

// PPO's clipped surrogate with separate lower and upper clip ranges (DAPO's clip-higher):
//   ratio = exp(logProbs - oldLogProbs);
//   per token max(-A * ratio, -A * clamp(ratio, 1 - clipLow, 1 + clipHigh)), aggregated.
struct PolicyLossOptions {
    double clipLow = 0.2;  // the ratio is clipped below at 1 - clipLow, e.g. 0.2
    double clipHigh = 0.2; // and above at 1 + clipHigh: DAPO raises it, e.g. 0.28
    LossAggregation aggregation = LossAggregation::TokenMean;
    double normaliser = 1.0; // SequenceSumNorm's constant, e.g. max_new_tokens
};
struct PolicyLoss {
    at::Tensor loss;             // scalar, differentiable w.r.t. logProbs
    double clipFraction = 0;     // share of masked tokens where the clipped term was chosen (>)
    double clipFractionLow = 0;  // ... of those, with the ratio below 1 - clipLow (A < 0)
    double clipFractionHigh = 0; // ... with the ratio above 1 + clipHigh (A > 0)
    double approxKl = 0;         // maskedMean(0.5 * (logProbs - oldLogProbs)^2), no gradient
    double ratioMean = 0;        // masked mean and variance of the ratio
    double ratioVariance = 0;
    double ratioP05 = 0; // masked 5% and 95% quantiles of the ratio
    double ratioP95 = 0;
};
PolicyLoss clippedPolicyLoss(const at::Tensor& logProbs, const at::Tensor& oldLogProbs,
                             const at::Tensor& advantages, const at::Tensor& mask,
                             const PolicyLossOptions& options);

// PPO's clipped value loss: clipped = oldValues + clamp(values - oldValues, -eps, eps);
//   loss = 0.5 * maskedMean(max((values - returns)^2, (clipped - returns)^2)).
struct ValueLoss {
    at::Tensor loss;         // scalar, differentiable w.r.t. values
    double clipFraction = 0; // share of masked tokens where the clipped error was larger (>)
};
ValueLoss clippedValueLoss(const at::Tensor& values, const at::Tensor& oldValues,
                           const at::Tensor& returns, const at::Tensor& mask, double clipRange);

// Direct preference optimisation from summed response log-probabilities (B) of the policy and
// the frozen reference on chosen and rejected replies. With
//   h = (policyChosen - refChosen) - (policyRejected - refRejected):
//   DPO: loss = -log sigmoid(beta * h)          (Rafailov et al. 2023)
//   IPO: loss = (h - 1 / (2 * beta))^2          (Azar et al. 2023)
// Rewards are the implicit ones, beta * (policy - ref), detached.
enum class PreferenceLoss { Dpo, Ipo };
struct DpoLoss {
    at::Tensor loss;           // scalar mean over pairs
    at::Tensor chosenReward;   // (B) beta * (policyChosen - refChosen), detached
    at::Tensor rejectedReward; // (B)
};
DpoLoss preferenceLoss(const at::Tensor& policyChosen, const at::Tensor& policyRejected,
                       const at::Tensor& refChosen, const at::Tensor& refRejected, double beta,
                       PreferenceLoss kind);

// GRPO's group-normalised advantages: scores (B) hold `groupSize` consecutive samples per
// prompt; each becomes (score - group mean) / (group std + 1e-4), std unbiased as in
// DeepSeekMath. B must be a multiple of groupSize. Returns (B).
at::Tensor groupAdvantages(const at::Tensor& scores, int64_t groupSize);
// Dr. GRPO's (Liu et al. 2025): score - group mean, not divided by the group's std (which
// favours prompts whose replies barely differ). (B), B a multiple of groupSize.
at::Tensor centredGroupAdvantages(const at::Tensor& scores, int64_t groupSize);
// RLOO (Ahmadian et al. 2024): each score against the mean of the other groupSize - 1 scores of
// its group, A_i = r_i - (sum_j r_j - r_i) / (G - 1). groupSize >= 2.
at::Tensor leaveOneOutAdvantages(const at::Tensor& scores, int64_t groupSize);
// Per group of `groupSize` consecutive scores (B): 1 where they all agree (max - min within
// 1e-6 * (1 + max |score|)), else 0. Returns (B / groupSize) float. Such a group has zero
// advantage under GRPO, RLOO and Dr. GRPO: it teaches the policy nothing.
at::Tensor zeroSpreadGroups(const at::Tensor& scores, int64_t groupSize);

// Per-token rewards (B, T) of PPO and REINFORCE++: -klCoef * tokenKl on every real token, plus
// scores[b] (B) on row b's last real token; padding 0.
at::Tensor scoreAtEndRewards(const at::Tensor& scores, const at::Tensor& tokenKl,
                             const at::Tensor& mask, double klCoef);
// Discounted returns within each row's mask: G_t = r_t + gamma * G_{t+1}, G after the last real
// token 0 (REINFORCE++'s advantages before they are whitened over the batch). (B, T), no grad.
at::Tensor discountedReturns(const at::Tensor& rewards, const at::Tensor& mask, double gamma);

// How much of the returns' variance the value model explains, over the mask:
// 1 - Var(returns - values) / Var(returns). 1 is perfect, 0 no better than a constant, below 0
// worse than one. NaN when the returns do not vary.
double explainedVariance(const at::Tensor& values, const at::Tensor& returns,
                         const at::Tensor& mask);

// Mean entropy (nats) of the categorical distributions softmax(logits) at masked positions.
// logits (B, T, V), mask (B, T).
double maskedEntropy(const at::Tensor& logits, const at::Tensor& mask);

} // namespace rlhf::train
