// The learning-rate schedule every stage uses: linear warmup, then cosine decay to a floor.
// A pure function of the step, so resuming needs no schedule state.
#pragma once

#include <cstdint>

namespace rlhf::train {

struct LrSchedule {
    double peak = 3e-4;        // learning rate after warmup, e.g. 3e-4
    double minimum = 3e-5;     // floor reached at totalSteps, e.g. peak / 10
    int64_t warmupSteps = 100; // linear ramp from peak/warmupSteps to peak, e.g. 100
    int64_t totalSteps = 1000; // step at which the cosine reaches the floor
};

// Learning rate of optimizer step `step` (0-based).
double learningRate(const LrSchedule& schedule, int64_t step);

} // namespace rlhf::train
