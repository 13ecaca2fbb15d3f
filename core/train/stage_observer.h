// How a running stage talks to whoever drives it (the CLI's progress bar, the GUI's worker
// thread): metrics, log lines, progress and saved checkpoints out; stop and pause in.
// Torch-free and Qt-free, so both sides can include it.
#pragma once

#include "core/store/records.h"

#include <atomic>
#include <chrono>
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
    virtual void onCheckpoint(const std::string& /*path*/, int64_t /*step*/) {}
    // PPO / GRPO: the sampled responses of one step (all of them carry the same step).
    virtual void onRollouts(const std::vector<store::Rollout>& /*rollouts*/) {}
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
