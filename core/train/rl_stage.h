// The parts of a PPO or GRPO run that do not depend on how advantages are made: the policy
// (trained through the Trainer, from init or a resumed checkpoint), the frozen reference, the
// prompt plan, the scorer, the evaluation and the per-step rollout metrics. Over several ranks
// each one generates and trains on its own slice of every step's prompts, evaluates its slice
// of the held-out prompts, and rank 0 records every rank's rollouts.
#pragma once

#include "core/train/rollout.h"
#include "core/train/stage_observer.h"
#include "core/train/trainer.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace rlhf::text {
class Tokenizer;
}

namespace rlhf::train {

struct RlData {
    const text::Tokenizer& tokenizer;
    std::vector<PromptExample> train; // prompts sampled for rollouts
    std::vector<PromptExample> val;   // prompts of the evaluation (task accuracy)
    std::span<const uint32_t> ptx;    // PPO-ptx token stream; empty: none
};

struct RlSession {
    RlSession(const RlConfig& config, const RlData& data, Trainer& trainer);

    // This rank's prompt indices of iteration `step`: config.batchSize of them. The job's batch
    // is the next batchSize x ranks prompts of an endless stream of seeded shuffles of all
    // prompts, so it is always full (an epoch may end inside it): every rank gets as many
    // rollouts, hence as many minibatch updates, as every other (the updates meet in
    // collectives that must pair up).
    std::vector<int64_t> prompts(int64_t step) const;
    // The seed of this rank's rollouts of iteration `step` (rank 0: the one-process seed).
    uint64_t rolloutSeed(int64_t step) const;
    // `count` more prompt indices for this rank's iteration `step`, draw `round` (1, 2, ...) of
    // dynamic sampling: seeded uniform draws from all prompts, the same on a rerun.
    std::vector<int64_t> extraPrompts(int64_t step, int64_t round, int64_t count) const;
    // The frozen reference's log-probabilities of the batch's reply tokens (hold NoGradGuard
    // and autocast around it): LoRA's reference is the policy with another adapter switched on.
    at::Tensor referenceLogProbs(const RolloutBatch& batch) const;
    // Task accuracy on data.val (greedy and sampled) over all ranks, for StageHooks::evaluate.
    MetricValues evaluate() const;
    // Hands the step's rollout rows to the observer: rank 0 collects every rank's.
    void record(std::vector<store::Rollout> rows, const RunContext& run) const;

    const RlConfig& config;
    const RlData& data;
    Trainer& trainer;
    model::Transformer policy{nullptr};    // trained
    model::Transformer reference{nullptr}; // frozen: the init model (see referenceLogProbs)
    std::unique_ptr<chat::ChatEncoder> encoder;
    std::unique_ptr<RolloutScorer> scorer;
    std::unique_ptr<BatchPlan> order; // batches of one prompt: the stream of shuffles
};

// Per-step metrics of a scored batch: rl/score, rl/reward, rl/kl, rl/response_length,
// rl/eos_rate, rl/truncation_rate (replies that ran out of tokens without the end token),
// rl/kl_p50 and rl/kl_p95 (quantiles of the per-token KL over the mask), task/accuracy (where
// known) and time/generation_s. tokenKl (B, R) masked.
MetricValues rolloutMetrics(const RolloutBatch& batch, const at::Tensor& tokenKl,
                            const std::vector<double>& rewards);

// The clip ranges and loss aggregation of the config's "policy" block (0 = clip_range).
PolicyLossOptions policyLossOptions(const RlConfig& config);

// maskedWhiten over every rank's rows: the mean and (unbiased) variance are the job's, so every
// rank scales alike, as one process with the whole batch would.
at::Tensor whitenOverRanks(const at::Tensor& values, const at::Tensor& mask,
                           const Trainer& trainer);

// The rows `rows` of `batch`, every field (texts, scores, tensors) kept.
RolloutBatch takeRollouts(const RolloutBatch& batch, const std::vector<int64_t>& rows);
// The batches one after another: tensors right-padded (tokens with `padTokenId`) to the widest.
RolloutBatch joinRollouts(const std::vector<RolloutBatch>& parts, int64_t padTokenId);

// Accumulates minibatch statistics (clip fraction, approx KL, losses) into step means.
class MeanMetrics {
public:
    void add(const std::string& name, double value);
    MetricValues values() const;

private:
    std::vector<std::pair<std::string, std::pair<double, int64_t>>> m_sums;
};

// The per-update statistics of a policy loss into `stats`: rl/policy_loss, rl/clip_fraction and
// its _low / _high parts, rl/approx_kl, rl/ratio_mean, rl/ratio_var, rl/ratio_p05, rl/ratio_p95.
void addPolicyStats(MeanMetrics& stats, const PolicyLoss& loss);

} // namespace rlhf::train
