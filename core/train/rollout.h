// What PPO and GRPO share: sampling responses from the policy with its KV cache, laying the
// rollouts out as tensors, scoring them (reward model, rules, missing-EOS penalty, and the
// task's ground truth where the prompt has a reference answer), per-response rows for the
// project database, and the evaluation of a policy on held-out prompts.
#pragma once

#include "core/model/transformer.h"
#include "core/store/records.h"
#include "core/chat/chat_template.h"
#include "core/train/precision.h"
#include "core/train/rl_config.h"
#include "core/train/sequence_batch.h"
#include "core/train/stage_data.h"

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rlhf::train {

class ScalarModel;

struct RolloutBatch {
    std::vector<int64_t> promptIndex;            // which prompt each row answers
    std::vector<std::vector<int64_t>> responses; // generated tokens, with the end token
    std::vector<uint8_t> finished;               // ended with the end token
    std::vector<std::string> texts;              // the replies as text
    SequenceBatch rows;         // prompt + response, right-padded; targets = response tokens
    at::Tensor positions;       // (B, R) int64: target positions (in T - 1) of each response token
    at::Tensor mask;            // (B, R) float: 1 on real response tokens
    std::vector<double> scores; // reward model + rules + penalty
    std::vector<double> rewardSpread; // a reward ensemble's std per reply; empty without one
    std::vector<std::optional<double>> truth; // the task rule, where a reference exists
    double generationSeconds = 0;
};

// Samples one response per entry of `promptIndex` (repeat an index for a group). Tensors stay
// on the CPU; `seed` makes the draw repeatable.
RolloutBatch sampleRollouts(model::Transformer policy, const std::vector<PromptExample>& prompts,
                            const std::vector<int64_t>& promptIndex,
                            const chat::ChatEncoder& encoder, const RlConfig& config,
                            const ComputeSetup& setup, uint64_t seed);

// Rows `rows` ((b) int64) of the batch's tensors: rows.tokens, positions and mask only.
RolloutBatch selectRows(const RolloutBatch& batch, const at::Tensor& rows);

// (B, R) values at the response tokens of per-target values (B, T - 1) (or (B, T - 1, V) ->
// (B, R, V)).
at::Tensor atResponse(const at::Tensor& perTarget, const RolloutBatch& batch);

// log-probabilities (B, R) of the response tokens under `model`, logits divided by the
// sampling temperature; `logits` (B, R, V) is filled for the entropy when not null.
at::Tensor responseLogProbs(model::TransformerImpl& model, const RolloutBatch& batch,
                            double temperature, c10::Device device, at::Tensor* logits = nullptr);

// The reward of a rollout: the reward models' shaped score (when configured; ensemble,
// normalisation and clipping as reward_shaping.h) + rules + missing-EOS penalty.
class RolloutScorer {
public:
    RolloutScorer(const RlConfig& config, const ComputeSetup& setup);
    ~RolloutScorer();
    // Fills batch.scores, batch.truth, and batch.rewardSpread with an ensemble.
    void score(RolloutBatch& batch, const std::vector<PromptExample>& prompts) const;

private:
    const RlConfig& m_config;
    ComputeSetup m_setup;
    std::vector<std::unique_ptr<ScalarModel>> m_rewardModels; // reward.model, then the ensemble
    RuleReward m_rules;
};

// The database rows of a step's rollouts; tokenKl (B, R) per-token KL, reward (B) the scores
// minus the KL penalty.
std::vector<store::Rollout> rolloutRows(const RolloutBatch& batch,
                                        const std::vector<PromptExample>& prompts,
                                        const at::Tensor& tokenKl,
                                        const std::vector<double>& rewards, int64_t step);

// A policy on the first `count` prompts that have a reference answer (this shard's slice of
// them): task accuracy (the exact reference answer) greedy and sampled at the rollout
// temperature, the mean reply length, and, given a reference model, KL(policy || reference)
// summed over a sampled reply (k1, averaged over replies). Empty values when the slice is empty.
struct Evaluation {
    std::optional<double> greedyAccuracy, sampledAccuracy;
    double meanResponseTokens = 0;
    std::optional<double> klToReference;
    int64_t prompts = 0;
};
// The reference's log-probabilities of a batch's reply tokens (responseLogProbs), computed
// however the caller holds the reference.
using ReferenceLogProbs = std::function<at::Tensor(const RolloutBatch& batch)>;
// `referenceLogProbs` may be empty: no KL to the reference.
Evaluation evaluatePolicy(model::Transformer policy, const ReferenceLogProbs& referenceLogProbs,
                          const std::vector<PromptExample>& prompts, int64_t count,
                          const chat::ChatEncoder& encoder, const RlConfig& config,
                          const ComputeSetup& setup, BatchShard shard = {});

} // namespace rlhf::train
