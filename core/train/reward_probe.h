// The reward model on the replies the policy will start from: the init model answers held-out
// prompts that carry a reference answer, several times each; the exact-answer rule says which
// replies are right, and every (right, wrong) pair of one prompt checks the reward model's
// ranking. This is the accuracy PPO depends on, which the data set's own pairs (often written
// by another model or by people) can overstate. The reward stage runs it after training when
// its document has an "on_policy" block (reward_config.h).
#pragma once

#include "core/chat/chat_template.h"
#include "core/model/transformer.h"
#include "core/train/precision.h"
#include "core/train/reward_config.h"
#include "core/train/reward_report.h"
#include "core/train/stage_data.h"

#include <cstdint>
#include <vector>

namespace rlhf::train {

class ScalarModel;

// Prompts without a reference are skipped; `seed` makes the replies repeatable.
OnPolicyAccuracy onPolicyAccuracy(ScalarModel& reward, model::Transformer policy,
                                  const std::vector<PromptExample>& prompts,
                                  const chat::ChatEncoder& encoder, const OnPolicyProbe& probe,
                                  const ComputeSetup& setup, uint64_t seed);

} // namespace rlhf::train
