#include "core/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rlhf::train {

double learningRate(const LrSchedule& schedule, int64_t step)
{
    if (step < schedule.warmupSteps)
        return schedule.peak * double(step + 1) / double(schedule.warmupSteps);
    if (step >= schedule.totalSteps) return schedule.minimum;
    const double decaySteps =
        double(std::max<int64_t>(1, schedule.totalSteps - schedule.warmupSteps));
    const double progress = double(step - schedule.warmupSteps) / decaySteps;  // 0 -> 1
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress)); // 1 -> 0
    return schedule.minimum + (schedule.peak - schedule.minimum) * cosine;
}

} // namespace rlhf::train
