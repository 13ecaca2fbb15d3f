// Health checks of an alignment run, computed from its metric series alone, so the CLI and the
// studio show the same warnings for a live run or one read back from the project database:
//   kl_negative      mean KL below -0.01 (k1 estimate gone wrong: the policy left the
//                    reference's support or the sampler differs from the scorer)
//   kl_exploding     KL above `maxKl` (default 10 nats per response) or doubling 3 evals running
//   ratio_drift      PPO ratio mean outside [0.8, 1.25] or ratio variance above 1
//   reward_hacking   reward up by > 1 std while the true score falls, or response length moves
//                    by > 3x from its start (reward rising on something other than the task)
//   value_diverging  value loss above 10x its minimum over the last window, or not finite
//   weak_reward_model  reward model held-out accuracy below 0.6 (too weak to train against)
//   weak_implicit_reward  a DPO run's implicit reward ranks below 0.6 of held-out pairs right
//                    (DPO logs val/accuracy too, but has no reward model to blame)
//   zero_spread      most GRPO groups had replies that all scored alike: no signal from them
//   truncation       most replies ran out of tokens without the end token
//   value_unexplained  PPO's value model predicts the returns worse than a constant, for long
//   clip_high        the upper clip bound on many tokens (updates too large, or clip too tight)
// Each message is one plain sentence: what was seen, where, and what to try.
// Torch-free and Qt-free.
//
// The details, each check judged on the series as they stood at every logged step so that a
// warning names the first step where it held:
//   kl_negative      the mean of rl/kl over the last 5 points (fewer at the start) is below
//                    -0.01: one batch's k1 estimate may dip below zero, five running may not.
//   kl_exploding     rl/kl above maxKl or not finite; or 3 consecutive points each at least
//                    double the one before, starting from a value of at least maxKl / 10 (below
//                    that, doubling is ordinary early growth from a KL near zero).
//   ratio_drift      rl/ratio_mean outside [0.8, 1.25] or rl/ratio_var above 1 (either one
//                    not finite counts as outside).
//   reward_hacking   with q = max(1, n / 4) points of a series of n: rl/score's last-q mean
//                    minus its first-q mean exceeds the (population) std of its first q, with
//                    n >= 8 so that std has at least 2 points, while task/accuracy's last-q
//                    mean (its own n >= 4) is below its first-q mean; both series cut at the
//                    same step. Or rl/response_length above 3x, or below 1/3 of, its first
//                    point.
//   value_diverging  rl/value_loss above 10x the smallest positive value among the 10 points
//                    before it (judged from the 11th point on: a fresh value head is still
//                    calibrating before that), or not finite.
//   weak_reward_model  the latest val/accuracy is below minRewardModelAccuracy (the latest
//                    only: every reward model starts near 0.5), named at that point's step.
//   zero_spread      the mean of rl/zero_spread_groups over 5 consecutive points (a full
//                    window) above 0.5; the advice differs when the run draws extra prompts
//                    (rl/extra_prompts logged: dynamic sampling is on already).
//   truncation       the mean of rl/truncation_rate over 5 consecutive points above 0.5.
//   value_unexplained  rl/value_explained_variance below 0 at 10 consecutive points (a fresh
//                    value head starts below 0; ten steps running is not calibration).
//   clip_high        the mean of rl/clip_fraction_high over 5 consecutive points above 0.2.
// Each check is reported at most once; a check with two conditions reports the one that held
// first. Warnings come in step order (checks in the order above at the same step).
#pragma once

#include "core/store/records.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::train {

struct SeriesPoint {
    int64_t step = 0;
    double value = 0;
};

struct HealthWarning {
    std::string check;   // "kl_negative", "kl_exploding", ... (see above)
    int64_t step = 0;    // the step where it was first seen
    std::string message; // one line for the user, e.g. "KL 14.2 nats at step 40 (limit 10)"
};

struct HealthLimits {
    double maxKl = 10.0;
    double minRewardModelAccuracy = 0.6;
};

// `series(name)` returns the series of a metric by step (empty when the run has none). Metric
// names read (PPO and GRPO log the same names): rl/kl, rl/ratio_mean, rl/ratio_var, rl/score,
// task/accuracy, rl/response_length, rl/value_loss, rl/zero_spread_groups, rl/extra_prompts,
// rl/truncation_rate, rl/value_explained_variance, rl/clip_fraction_high, val/accuracy.
using SeriesLookup = std::function<std::vector<SeriesPoint>(std::string_view name)>;
// `stage` decides what val/accuracy measures: a reward model's (reward), DPO's implicit
// reward (dpo); other stages do not read it.
std::vector<HealthWarning> checkRunHealth(const SeriesLookup& series, store::RunStage stage,
                                          const HealthLimits& limits = {});

} // namespace rlhf::train
