// Proximal policy optimisation, InstructGPT style: the policy (from SFT) samples replies with its
// KV cache; the reward model and/or rules score them; a per-token penalty keeps the policy near
// the frozen reference (k1 or k3 KL, fixed or adaptive coefficient); a value model (from the
// reward model or the policy) gives GAE advantages; several epochs of minibatches optimise the
// clipped policy and value losses, optionally mixed with a pretraining loss (PPO-ptx).
// Logs reward, KL, entropy, clip fraction, approx KL, losses, ratio, length, EOS rate and the
// generation / optimisation time split; hands every step's rollouts to the observer.
#pragma once

#include "core/train/rl_stage.h"

namespace rlhf::train {

StageResult runPpo(const RlConfig& config, const RlData& data, const RunContext& run);

// The value model of a PPO checkpoint: value.safetensors (body and head as "value.<name>") and
// value_optimizer.safetensors beside the policy's files.
inline constexpr const char* valueModelFile = "value.safetensors";
inline constexpr const char* valueOptimizerFile = "value_optimizer.safetensors";

} // namespace rlhf::train
