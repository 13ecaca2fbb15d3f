// TensorBoard-style debiased exponential moving average of a metric curve, as pure functions.
// The incremental form lets the plot extend a smoothed curve as points arrive.
#pragma once

#include <span>
#include <vector>

namespace rlhf::widgets {

// Running state of the debiased EMA: the biased accumulator and how many finite values fed it.
struct EmaState {
    double accumulator = 0.0; // biased EMA, starts at 0
    double weightPower = 1.0; // weight^(finite values seen so far), for the debias term
};

// The weight is clamped to [0, 0.99]; 0 returns the values unchanged. Each output is
// accumulator / (1 - weight^n) after n finite values, which removes the bias towards the initial 0.
// Non-finite values pass through unchanged and do not touch the state (as in TensorBoard).
void emaSmoothAppend(std::span<const double> values, double weight, EmaState& state,
                     std::vector<double>& out);

// The smoothed curve of `values` from a fresh state.
std::vector<double> emaSmooth(std::span<const double> values, double weight);

} // namespace rlhf::widgets
