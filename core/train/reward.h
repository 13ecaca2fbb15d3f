// Reward modelling: a Transformer from a checkpoint with a scalar head read at the last token
// of prompt + reply (and, by default, its own likelihood of the reply: scalar_model.h), trained
// on preference pairs with -log sigmoid(r_chosen - r_rejected). Logs train and held-out
// accuracy, margin and score spread; at the end writes the report (reward_report.h, with the
// on-policy accuracy when the document asks for it) as reward_report.json into the final
// checkpoint.
#pragma once

#include "core/train/reward_config.h"
#include "core/train/sft.h"

namespace rlhf::train {

// data.train / data.val hold preference records; probePrompts the on_policy block's prompts
// (empty without one).
StageResult runReward(const RewardConfig& config, const ChatData& data,
                      const std::vector<PromptExample>& probePrompts, const RunContext& run);

} // namespace rlhf::train
