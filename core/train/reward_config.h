// The configuration of the reward stage: the shared fine-tuning fields plus
//   "reward_model": {"likelihood": true, "likelihood_init": 1.0}
//       likelihood: the score adds a learned weight times the model's own mean log-probability
//       of the reply (scalar_model.h says why); false: the linear head at the last token alone.
//       likelihood_init: that weight's starting value (a checkpoint's own weight wins).
//   "on_policy": {"dataset": "arith-prompts", "split": "test", "prompts": 200, "samples": 4,
//                 "max_new_tokens": 16}
//       optional: after training, the init model answers `prompts` prompts of a chat dataset
//       whose last turn is the reference answer, `samples` times each; the report gives the
//       reward model's accuracy on (right, wrong) pairs of those replies — the replies PPO
//       will start from, rather than the data set's own.
#pragma once

#include "core/train/finetune_config.h"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>

namespace rlhf::train {

struct OnPolicyProbe {
    std::string dataset;        // a chat dataset: prompt turns, then the reference answer
    std::string split = "test"; // its held-out split, e.g. "test"
    int64_t prompts = 200;      // prompts answered, e.g. 200 (fewer when the split is smaller)
    int64_t samples = 4;        // replies per prompt, sampled at temperature 1, e.g. 4
    int64_t maxNewTokens = 16;  // tokens per reply, e.g. 16
};

struct RewardConfig : FineTuneConfig {
    bool likelihood = true;      // score += w * mean log p(reply), w learned
    double likelihoodInit = 1.0; // w's starting value, e.g. 1.0
    std::optional<OnPolicyProbe> onPolicy;
};

RewardConfig rewardConfigFromJson(const nlohmann::json& json, const std::string& where);
nlohmann::json toJson(const RewardConfig& config);

} // namespace rlhf::train
