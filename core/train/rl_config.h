// The configuration of the two reinforcement-learning stages, PPO and GRPO, which share their
// rollouts, rewards and KL control. training.batch_size counts prompts per iteration and
// training.steps iterations. The document adds, beside the shared fine-tuning fields:
//   "reward":  {"model": "checkpoints/run-3/step-000200",       reward checkpoint; "" = none
//               "model_weight": 1.0, "rules": [...rule_reward.h...], "missing_eos_penalty": -1,
//               "ensemble": [], "aggregate": "mean", "lcb_k": 1.0, "normalize": "none",
//               "clip": 0}
//     ensemble   more reward checkpoints scoring beside "model"; their scores combine by
//                aggregate: "mean", "lcb" (mean - lcb_k * std over the models), "min"
//     normalize  "batch": the reward models' combined score to mean 0, std 1 over each batch
//     clip       > 0: that score clamped to [-clip, clip] (after normalising); rules and the
//                missing-EOS penalty are added after all of this (reward_shaping.h)
//   "rollout": {"max_new_tokens": 16, "temperature": 1.0, "top_k": 0, "top_p": 1.0,
//               "group_size": 8}                               (GRPO: samples per prompt)
//   "kl":      {"estimator": "k1", "coef": 0.05, "target": 0, "horizon": 10000}
//               target > 0 turns on the adaptive coefficient (Ziegler et al. 2019)
//   "policy":  {"epochs": 4, "minibatch_size": 0, "clip_range": 0.2, "clip_range_low": 0,
//               "clip_range_high": 0, "loss_aggregation": "token_mean", "whiten_advantages": true}
//               GRPO adds "advantage": "grpo", "gamma": 1.0, "dynamic_sampling": false
//     clip_range_low, clip_range_high  the ratio is clipped to [1 - low, 1 + high]; 0 takes
//               clip_range. DAPO's clip-higher: "clip_range_high": 0.28 with clip_range 0.2
//               leaves room for unlikely tokens of good replies to grow (against entropy
//               collapse)
//     loss_aggregation  how per-token losses (policy and GRPO's KL) become one number:
//               "token_mean" (over every token of the minibatch; DAPO's token-level loss),
//               "sequence_mean" (per reply, then over replies: GRPO as DeepSeekMath wrote it),
//               "sequence_sum_norm" (per-reply sum / rollout.max_new_tokens, then over replies:
//               Dr. GRPO, no length bias)
//     whiten_advantages  PPO: advantages to mean 0, variance 1 over the batch (GRPO ignores it)
//     advantage  GRPO: how a group's scores become each reply's advantage (no value model):
//               "grpo"         (score - group mean) / (group std + 1e-4)      (DeepSeekMath)
//               "rloo"         score - mean of the group's other scores         (Ahmadian 2024)
//               "dr_grpo"      score - group mean, no std (Liu et al. 2025); pair it with
//                              "sequence_sum_norm"
//               "reinforce++"  per-token reward -kl.coef * KL plus the score at the last token,
//                              discounted returns (gamma), whitened over the whole batch
//                              (Hu 2025); KL in the reward, not the loss; group_size 1 works
//     gamma     GRPO with reinforce++: the discount per token in [0, 1]
//     dynamic_sampling  GRPO (DAPO, Yu et al. 2025): groups whose replies all scored alike are
//               dropped and more prompts drawn, at most 3x batch_size extra, until the batch is
//               full (if the draws run out, dropped groups fill it); needs group_size >= 2
//   "value":   {"init": "reward_model", "lr": 0, "clip_range": 0.2, "gamma": 1.0, "lambda": 0.95}
//               (PPO only; init "policy" starts the value model from the policy; lr 0 = policy's)
//   "ptx":     {"coef": 0.0, "tokens": ""}  PPO-ptx: next-token loss on a .u32 token file
//   "eval":    {"prompts": 256}              prompts of data.val scored with the task rule
// PPO puts the KL penalty into the per-token reward; GRPO adds it to the loss (DeepSeekMath).
#pragma once

#include "core/gen/sampling_settings.h"
#include "core/train/finetune_config.h"
#include "core/train/reward_shaping.h"
#include "core/train/rl_losses.h"
#include "core/train/rule_reward.h"
#include "core/util/word_table.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace rlhf::train {

inline constexpr WordTable<KlEstimator, 2> klEstimatorWords{{
    {KlEstimator::K1, "k1"},
    {KlEstimator::K3, "k3"},
}};

// How the GRPO stage turns a group's scores into advantages (rl_losses.h has each formula).
enum class AdvantageEstimator { Grpo, Rloo, ReinforcePlusPlus, DrGrpo };

inline constexpr WordTable<AdvantageEstimator, 4> advantageWords{{
    {AdvantageEstimator::Grpo, "grpo"},
    {AdvantageEstimator::Rloo, "rloo"},
    {AdvantageEstimator::ReinforcePlusPlus, "reinforce++"},
    {AdvantageEstimator::DrGrpo, "dr_grpo"},
}};

inline constexpr WordTable<LossAggregation, 3> lossAggregationWords{{
    {LossAggregation::TokenMean, "token_mean"},
    {LossAggregation::SequenceMean, "sequence_mean"},
    {LossAggregation::SequenceSumNorm, "sequence_sum_norm"},
}};

// Where PPO's value model starts.
enum class ValueInit {
    RewardModel, // from the reward model's checkpoint (needs reward.model)
    Policy,      // from the init checkpoint, like the policy
};

inline constexpr WordTable<ValueInit, 2> valueInitWords{{
    {ValueInit::RewardModel, "reward_model"},
    {ValueInit::Policy, "policy"},
}};

struct RlConfig : FineTuneConfig {
    std::string rewardModel;
    std::vector<std::string> rewardEnsemble; // more reward checkpoints beside rewardModel
    RewardShaping rewardShaping;             // aggregate, normalise, clip their scores
    double rewardModelWeight = 1.0;
    std::vector<RuleRewardTerm> rules;
    double missingEosPenalty = 0;

    // The "rollout" block: maxNewTokens, temperature, topK and topP are read; the policy samples
    // its own distribution, so no repetition penalty; each step brings its own seed.
    gen::SamplingSettings rollout = {
        .temperature = 1.0, .topK = 0, .topP = 1.0, .repetitionPenalty = 1.0, .maxNewTokens = 16};
    int64_t groupSize = 1; // GRPO: samples per prompt (>= 2; reinforce++ also 1)

    KlEstimator klEstimator = KlEstimator::K1;
    double klCoef = 0.05;
    double klTarget = 0; // > 0: adaptive coefficient towards this KL per response
    double klHorizon = 10000;

    int64_t epochs = 4;
    int64_t minibatchSize = 0; // rollouts per minibatch; 0 = the whole batch
    double clipRange = 0.2;
    double clipRangeLow = 0;  // the ratio's lower clip 1 - this; 0 = clipRange
    double clipRangeHigh = 0; // the upper clip 1 + this; 0 = clipRange; DAPO e.g. 0.28
    LossAggregation lossAggregation = LossAggregation::TokenMean;
    bool whitenAdvantages = true;                            // PPO
    AdvantageEstimator advantage = AdvantageEstimator::Grpo; // GRPO
    bool dynamicSampling = false; // GRPO: drop zero-spread groups, draw more prompts

    ValueInit valueInit = ValueInit::RewardModel;
    double valueLr = 0;
    double valueClipRange = 0.2;
    double gamma = 1.0; // PPO's GAE and GRPO's reinforce++: discount per token
    double lambda = 0.95;

    double ptxCoef = 0;
    std::string ptxTokens;

    int64_t evalPrompts = 256;
};

// A config of `stage` (Ppo or Grpo) holding that stage's defaults: GRPO samples groups of 8 and
// adds a k3 KL with coefficient 0.04 to its loss (DeepSeekMath).
RlConfig rlConfigDefaults(store::RunStage stage);

// `stage` is Ppo or Grpo. Strict, like every stage document.
RlConfig rlConfigFromJson(const nlohmann::json& json, store::RunStage stage,
                          const std::string& where);
nlohmann::json toJson(const RlConfig& config);

std::string klEstimatorName(KlEstimator estimator); // "k1" / "k3"

} // namespace rlhf::train
