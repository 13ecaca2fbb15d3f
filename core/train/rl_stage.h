// The parts of a PPO or GRPO run that do not depend on how advantages are made: the policy
// (trained through the Trainer, from init or a resumed checkpoint), the frozen reference, the
// prompt plan, the scorer, the evaluation and the per-step rollout metrics.
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

    // Prompt indices of iteration `step`.
    std::vector<int64_t> prompts(int64_t step) const { return plan->batch(step); }
    // Task accuracy on data.val (greedy and sampled), for StageHooks::evaluate.
    MetricValues evaluate() const;

    const RlConfig& config;
    const RlData& data;
    Trainer& trainer;
    model::Transformer policy{nullptr};    // trained
    model::Transformer reference{nullptr}; // frozen: the init checkpoint
    std::unique_ptr<chat::ChatEncoder> encoder;
    std::unique_ptr<RolloutScorer> scorer;
    std::unique_ptr<BatchPlan> plan;
};

// Per-step metrics of a scored batch: rl/score, rl/reward, rl/kl, rl/response_length,
// rl/eos_rate, task/accuracy (where known) and time/generation_s. tokenKl (B, R) masked.
MetricValues rolloutMetrics(const RolloutBatch& batch, const at::Tensor& tokenKl,
                            const std::vector<double>& rewards);

// Accumulates minibatch statistics (clip fraction, approx KL, losses) into step means.
class MeanMetrics {
public:
    void add(const std::string& name, double value);
    MetricValues values() const;

private:
    std::vector<std::pair<std::string, std::pair<double, int64_t>>> m_sums;
};

} // namespace rlhf::train
