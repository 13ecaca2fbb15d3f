// TensorBoard-style debiased exponential moving average (see emasmoothing.h).
#include "widgets/plots/emasmoothing.h"

#include <algorithm>
#include <cmath>

namespace rlhf::widgets {

namespace {
constexpr double kMaxWeight = 0.99; // the smoothing slider's upper end
}

void emaSmoothAppend(std::span<const double> values, double weight, EmaState& state,
                     std::vector<double>& out)
{
    weight = std::clamp(weight, 0.0, kMaxWeight);
    out.reserve(out.size() + values.size());
    for (const double value : values) {
        if (!std::isfinite(value)) {
            out.push_back(value);
            continue;
        }
        state.accumulator = state.accumulator * weight + (1.0 - weight) * value;
        state.weightPower *= weight;
        const double debias = 1.0 - state.weightPower;
        out.push_back(debias > 0.0 ? state.accumulator / debias : value);
    }
}

std::vector<double> emaSmooth(std::span<const double> values, double weight)
{
    EmaState state;
    std::vector<double> out;
    emaSmoothAppend(values, weight, state, out);
    return out;
}

} // namespace rlhf::widgets
