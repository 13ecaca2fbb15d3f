// Group relative policy optimisation (DeepSeekMath): several replies per prompt, each one's
// advantage its score's standing within its group, no value model; the clipped policy loss
// plus a KL-to-reference term (k3 by default) in the loss rather than in the reward. Shares
// PPO's rollouts, scoring, metrics and evaluation (rl_stage.h).
#pragma once

#include "core/train/rl_stage.h"

namespace rlhf::train {

StageResult runGrpo(const RlConfig& config, const RlData& data, const RunContext& run);

} // namespace rlhf::train
