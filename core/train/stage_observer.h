// How a running stage talks to whoever drives it (the CLI's progress bar, the GUI's worker
// thread): metrics, log lines, progress and saved checkpoints out; stop and pause in.
// Torch-free and Qt-free, so both sides can include it.
#pragma once

#include "core/store/records.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace rlhf::dist {
class Communicator;
}

namespace rlhf::train {

struct StepMetrics {
    int64_t step = 0;                                   // optimizer step, 1-based
    std::vector<std::pair<std::string, double>> values; // e.g. {"train/loss", 3.2}
};

// What a finished (or stopped) stage hands back.
struct StageResult {
    int64_t stepsDone = 0; // optimizer steps (PPO / GRPO: iterations) completed, resumed included
    bool stopped = false;  // ended by a stop request before the last step
    std::filesystem::path lastCheckpoint;
    std::vector<std::pair<std::string, double>> lastMetrics; // the last step's metrics

    // The last step's value of metric `name` ("train/loss", "val/loss"); 0 when it has none.
    double lastValue(std::string_view name) const
    {
        for (const auto& [metric, value] : lastMetrics)
            if (metric == name) return value;
        return 0;
    }
};

class StageObserver {
public:
    virtual ~StageObserver() = default;
    virtual void onRunRecorded(int64_t /*runId*/) {} // the run's row exists in the project database
    virtual void onMetrics(const StepMetrics&) {}
    virtual void onLog(const std::string&) {}
    virtual void onProgress(int64_t /*step*/, int64_t /*total*/) {}
    // A long phase before the first step (e.g. caching the reference's log-probabilities):
    // `done` of `total` `unit` ("pairs") of `phase`, at its start (done 0), every few seconds and
    // at its end (done == total). PhaseProgress below reports it, each time beside a log line.
    virtual void onPhaseProgress(const std::string& /*phase*/, const std::string& /*unit*/,
                                 int64_t /*done*/, int64_t /*total*/)
    {
    }
    virtual void onCheckpoint(const std::string& /*path*/, int64_t /*step*/) {}
    // PPO / GRPO: the sampled responses of one step (all of them carry the same step).
    virtual void onRollouts(const std::vector<store::Rollout>& /*rollouts*/) {}
};

// Reports a long phase before the first step through an observer, so that "Starting run…" is
// never silent for minutes: a log line at its start ("caching reference log-probabilities of
// 5,000 pairs…"), one every `interval` while it runs ("caching reference log-probabilities:
// 1,200 of 5,000 pairs") and one at its end, each with onPhaseProgress. A phase that is usually
// quick (encoding data) is Announce::WhenSlow: nothing unless it outlasts one interval.
class PhaseProgress {
public:
    enum class Announce { AtStart, WhenSlow };
    static constexpr std::chrono::milliseconds defaultInterval{3000};

    // `phase` reads before " of N unit", e.g. "caching reference log-probabilities"; `unit` is
    // the items' plural, e.g. "pairs".
    PhaseProgress(StageObserver& observer, std::string phase, std::string unit, int64_t total,
                  Announce announce = Announce::AtStart,
                  std::chrono::milliseconds interval = defaultInterval)
        : m_observer(observer), m_phase(std::move(phase)), m_unit(std::move(unit)), m_total(total),
          m_interval(interval)
    {
        if (announce == Announce::AtStart)
            report(m_phase + " of " + count(m_total) + " " + m_unit + "…");
    }

    // `items` more are done; reports when an interval has passed since the last report.
    void advance(int64_t items)
    {
        m_done += items;
        if (m_done >= m_total || Clock::now() - m_lastReport < m_interval) return;
        report(m_phase + ": " + count(m_done) + " of " + count(m_total) + " " + m_unit);
    }

    // The end line, once, when anything was reported: "…: 5,000 pairs in 91.2 s".
    void finish()
    {
        if (m_finished) return;
        m_finished = true;
        m_done = m_total;
        if (!m_reported) return;
        char seconds[32];
        std::snprintf(seconds, sizeof(seconds), "%.1f",
                      std::chrono::duration<double>(Clock::now() - m_start).count());
        report(m_phase + ": " + count(m_total) + " " + m_unit + " in " + seconds + " s");
    }

    // 1234567 -> "1,234,567".
    static std::string count(int64_t value)
    {
        std::string digits = std::to_string(value < 0 ? -value : value);
        for (int64_t at = int64_t(digits.size()) - 3; at > 0; at -= 3)
            digits.insert(size_t(at), ",");
        return value < 0 ? "-" + digits : digits;
    }

private:
    using Clock = std::chrono::steady_clock;

    void report(const std::string& line)
    {
        m_reported = true;
        m_lastReport = Clock::now();
        m_observer.onLog(line);
        m_observer.onPhaseProgress(m_phase, m_unit, m_done, m_total);
    }

    StageObserver& m_observer; // not owned; outlives the phase
    std::string m_phase, m_unit;
    int64_t m_total = 0;
    int64_t m_done = 0;
    std::chrono::milliseconds m_interval;
    Clock::time_point m_start = Clock::now();
    Clock::time_point m_lastReport = Clock::now();
    bool m_reported = false;
    bool m_finished = false;
};

// Set from any thread; the stage checks it between optimizer steps.
class StopToken {
public:
    void requestStop() { m_stop = true; }
    void reset() { m_stop = false, m_paused = false; } // ready for the next run
    void setPaused(bool paused) { m_paused = paused; }
    bool stopRequested() const { return m_stop; }
    bool paused() const { return m_paused; }

    // Blocks while paused (polling every 50 ms); returns true when the stage should stop.
    bool waitWhilePausedOrStop() const
    {
        while (m_paused && !m_stop)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return m_stop;
    }

private:
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_paused{false};
};

// Where a run reports, how it is stopped, where its checkpoints go and whom it trains with: what
// the stage runner (or a test) hands every stage.
struct RunContext {
    std::filesystem::path checkpointRoot; // checkpoints go to checkpointRoot/step-NNNNNN
    StageObserver& observer;
    const StopToken& stop;
    dist::Communicator& communicator; // one process: dist::LocalCommunicator
};

} // namespace rlhf::train
