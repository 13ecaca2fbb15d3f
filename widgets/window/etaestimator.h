// The status bar's time-to-finish for a training run: steps per second over a sliding window of
// the last minute (not since the start, so a slow first step or an evaluation does not skew it
// for the whole run, and not the last step alone, so it does not jump every step). A pause
// restarts the window. Pure C++: times are given, not read.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

namespace rlhf::widgets {

class EtaEstimator {
public:
    static constexpr double kWindowSeconds = 60; // the steps of the last minute set the rate
    static constexpr int kMinimumSteps = 2;      // steps in the window before any estimate

    void reset();                               // a new run, or a resume after a pause
    void addStep(int64_t step, double seconds); // `seconds` on any steady clock
    // Seconds until `total` steps at the window's rate; nothing before enough steps.
    std::optional<double> secondsLeft(int64_t total) const;

private:
    struct Sample {
        int64_t step = 0;
        double seconds = 0;
    };
    std::deque<Sample> m_samples; // oldest first, the window and one sample before it
};

} // namespace rlhf::widgets
