// Reward modelling: a Transformer from a checkpoint with a scalar head read at the last token
// of prompt + reply, trained on preference pairs with -log sigmoid(r_chosen - r_rejected).
// Logs train and held-out accuracy, margin and score spread; at the end writes the report
// (reward_report.h) as reward_report.json into the final checkpoint.
#pragma once

#include "core/train/finetune_config.h"
#include "core/train/sft.h"

namespace rlhf::train {

// Its document has only the shared fine-tuning fields: fineTuneConfigFromJson(.., Reward).
// data.train / data.val hold preference records.
StageResult runReward(const FineTuneConfig& config, const ChatData& data, const RunContext& run);

} // namespace rlhf::train
