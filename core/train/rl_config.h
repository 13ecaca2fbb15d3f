// The configuration of the two reinforcement-learning stages, PPO and GRPO, which share their
// rollouts, rewards and KL control. training.batch_size counts prompts per iteration and
// training.steps iterations. The document adds, beside the shared fine-tuning fields:
//   "reward":  {"model": "checkpoints/run-3/step-000200",       reward checkpoint; "" = none
//               "model_weight": 1.0, "rules": [...rule_reward.h...], "missing_eos_penalty": -1}
//   "rollout": {"max_new_tokens": 16, "temperature": 1.0, "top_k": 0, "top_p": 1.0,
//               "group_size": 8}                               (GRPO: samples per prompt)
//   "kl":      {"estimator": "k1", "coef": 0.05, "target": 0, "horizon": 10000}
//               target > 0 turns on the adaptive coefficient (Ziegler et al. 2019)
//   "policy":  {"epochs": 4, "minibatch_size": 0, "clip_range": 0.2, "whiten_advantages": true}
//   "value":   {"init": "reward_model", "lr": 0, "clip_range": 0.2, "gamma": 1.0, "lambda": 0.95}
//               (PPO only; init "policy" starts the value model from the policy; lr 0 = policy's)
//   "ptx":     {"coef": 0.0, "tokens": ""}  PPO-ptx: next-token loss on a .u32 token file
//   "eval":    {"prompts": 256}              prompts of data.val scored with the task rule
// PPO puts the KL penalty into the per-token reward; GRPO adds it to the loss (DeepSeekMath).
#pragma once

#include "core/gen/sampling_settings.h"
#include "core/train/finetune_config.h"
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
    double rewardModelWeight = 1.0;
    std::vector<RuleRewardTerm> rules;
    double missingEosPenalty = 0;

    // The "rollout" block: maxNewTokens, temperature, topK and topP are read; the policy samples
    // its own distribution, so no repetition penalty; each step brings its own seed.
    gen::SamplingSettings rollout = {
        .temperature = 1.0, .topK = 0, .topP = 1.0, .repetitionPenalty = 1.0, .maxNewTokens = 16};
    int64_t groupSize = 1; // GRPO: samples per prompt (>= 2)

    KlEstimator klEstimator = KlEstimator::K1;
    double klCoef = 0.05;
    double klTarget = 0; // > 0: adaptive coefficient towards this KL per response
    double klHorizon = 10000;

    int64_t epochs = 4;
    int64_t minibatchSize = 0; // rollouts per minibatch; 0 = the whole batch
    double clipRange = 0.2;
    bool whitenAdvantages = true;

    ValueInit valueInit = ValueInit::RewardModel;
    double valueLr = 0;
    double valueClipRange = 0.2;
    double gamma = 1.0;
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
