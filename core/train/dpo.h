// Direct preference optimisation (and IPO): the policy learns from preference pairs directly,
// against a frozen reference (the init checkpoint) whose log-probabilities of every pair are
// computed once before training and cached. Logs the implicit rewards of chosen and rejected
// replies, their margin and the preference accuracy, on training batches and held-out pairs.
#pragma once

#include "core/train/dpo_config.h"
#include "core/train/sft.h"

namespace rlhf::train {

// data.train / data.val hold preference records.
StageResult runDpo(const DpoConfig& config, const ChatData& data, const RunContext& run);

} // namespace rlhf::train
