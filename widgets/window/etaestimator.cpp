// A sliding-window ETA (see etaestimator.h).
#include "widgets/window/etaestimator.h"

namespace rlhf::widgets {

void EtaEstimator::reset()
{
    m_samples.clear();
}

void EtaEstimator::addStep(int64_t step, double seconds)
{
    if (!m_samples.empty() && step <= m_samples.back().step) return; // a repeated report
    m_samples.push_back({step, seconds});
    // Keep one sample older than the window, so the window's rate spans the whole minute.
    while (m_samples.size() > 2 && seconds - m_samples[1].seconds > kWindowSeconds)
        m_samples.pop_front();
}

std::optional<double> EtaEstimator::secondsLeft(int64_t total) const
{
    if (int64_t(m_samples.size()) <= kMinimumSteps) return std::nullopt;
    const Sample& first = m_samples.front();
    const Sample& last = m_samples.back();
    const double elapsed = last.seconds - first.seconds;
    if (elapsed <= 0) return std::nullopt;
    const double stepsPerSecond = double(last.step - first.step) / elapsed;
    return double(total - last.step) / stepsPerSecond;
}

} // namespace rlhf::widgets
