// The parts of a PPO or GRPO run that do not depend on how advantages are made: the policy
// (trained, from init or a resumed checkpoint), the frozen reference, the prompt plan, the
// scorer, the evaluation, the per-step rollout metrics, and the checkpoint of the policy.
#pragma once

#include "core/train/adamw.h"
#include "core/train/rollout.h"
#include "core/train/stage_loop.h"
#include "core/train/stage_observer.h"

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

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
    RlSession(const RlConfig& config, const RlData& data, StageObserver& observer);

    // Prompt indices of iteration `step`.
    std::vector<int64_t> prompts(int64_t step) const { return plan->batch(step); }
    // Task accuracy on data.val (greedy and sampled), for StageHooks::evaluate.
    MetricValues evaluate() const;
    // Saves the policy's checkpoint; `extra` adds stage files (the value model) and
    // `extraState` fields of trainer_state.json (the adaptive KL coefficient).
    void save(const std::filesystem::path& folder, int64_t step,
              std::vector<std::pair<std::string, NamedTensors>> extra = {},
              const nlohmann::json& extraState = nlohmann::json::object());

    const RlConfig& config;
    const RlData& data;
    ComputeSetup setup;
    model::Transformer policy{nullptr};
    model::Transformer reference{nullptr};
    NamedTensors parameters;
    std::unique_ptr<AdamW> optimizer;
    std::unique_ptr<chat::ChatEncoder> encoder;
    std::unique_ptr<RolloutScorer> scorer;
    std::unique_ptr<BatchPlan> plan;
    int64_t startStep = 0;
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
