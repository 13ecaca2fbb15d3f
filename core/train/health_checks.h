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
// Torch-free and Qt-free.
#pragma once

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
// task/accuracy, rl/response_length, rl/value_loss, val/accuracy (reward stage).
using SeriesLookup = std::function<std::vector<SeriesPoint>(std::string_view name)>;
std::vector<HealthWarning> checkRunHealth(const SeriesLookup& series,
                                          const HealthLimits& limits = {});

} // namespace rlhf::train
