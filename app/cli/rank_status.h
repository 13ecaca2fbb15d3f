// Each rank's status as one machine-readable line on stdout, what the studio's rank panel reads
// (widgets/window/processrunner.cpp parses it): who the rank is, what it is doing, how far it
// is and how fast. Printed by every rank of a job (`rlhf train --rank-status`), whether or not
// it can reach the project database, and by the launcher for ranks that cannot speak any more.
//
// The format, one line each, fields separated by single spaces:
//
//   rank-status R/W pid=P host=H state=S [step=N/T] [step_s=X] [message=free text]
//
// R is the rank (0 .. W-1) of W; S is starting, joined, training, saving, barrier (waiting for
// the other ranks), completed, stopped or failed; step=N/T is the optimizer step done of the
// run's total; step_s the last step's seconds; message= comes last and runs to the end of the
// line (why a rank failed). A reader ignores keys it does not know.
#pragma once

#include "core/train/stage_observer.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace rlhf::cli {

enum class RankState { Starting, Joined, Training, Saving, Barrier, Completed, Stopped, Failed };

// The word a status line carries for `state`: "starting", "barrier", ...
std::string_view rankStateWord(RankState state);

struct RankStatus {
    int rank = 0;      // 0 .. worldSize - 1
    int worldSize = 1; // ranks in the job, e.g. 2
    long pid = 0;      // the rank's process id on its host
    std::string host;  // the host name the rank runs on
    RankState state = RankState::Starting;
    int64_t step = 0;          // optimizer steps done (0 before the first)
    int64_t totalSteps = 0;    // steps of the run; 0 while unknown
    double secondsPerStep = 0; // the last step's wall time; 0 while unknown
    std::string message;       // why it failed; empty otherwise
};

// `status` as its line, '\n' included. Newlines in the message become spaces, and a long
// message is cut, so that the line stays one line and one atomic pipe write.
std::string rankStatusLine(const RankStatus& status);

// This machine's host name ("localhost" when it has none).
std::string hostName();

// Whether a rank prints its status lines (the studio asks for them; a terminal does not).
enum class StatusLines { Off, On };

// The observer a rank trains with: it forwards everything to `next` (rank 0's progress
// printer, the other ranks' silent observer) and keeps the rank's status, which a heartbeat
// thread prints when it changed (at most four times a second) and at least once a second, so
// that a rank that goes silent is one that is stopped, frozen or gone. Output of `next` to
// stdout passes under the same lock, so status lines never split another line.
class RankStatusReporter final : public train::StageObserver {
public:
    // `checkpointEvery`: the run's training.checkpoint_every, to tell rank 0's save after a step
    // from the next step (the observer hears of a checkpoint only when it is written). The wait
    // at the barrier is told only after the last step, where its end is the stage's: no observer
    // call marks the end of the waits at earlier checkpoints.
    RankStatusReporter(int rank, int worldSize, int64_t checkpointEvery, StatusLines lines,
                       train::StageObserver& next);
    ~RankStatusReporter() override; // prints the last status if it changed, stops the thread
    RankStatusReporter(const RankStatusReporter&) = delete;
    RankStatusReporter& operator=(const RankStatusReporter&) = delete;

    void setState(RankState state);
    // Completed, stopped or failed (with why): the final line, printed at once, as the process
    // is about to end.
    void finish(RankState state, const std::string& message = {});

    void onRunRecorded(int64_t runId) override;
    void onMetrics(const train::StepMetrics& metrics) override;
    void onLog(const std::string& line) override;
    void onProgress(int64_t step, int64_t total) override;
    void onCheckpoint(const std::string& path, int64_t step) override;
    void onRollouts(const std::vector<store::Rollout>& rollouts) override;

private:
    void heartbeat();   // the thread's loop
    void printLocked(); // writes m_status; m_mutex held

    train::StageObserver& m_next;
    const int64_t m_checkpointEvery;
    const StatusLines m_lines;
    std::mutex m_mutex; // guards everything below and every write to stdout
    std::condition_variable m_wake;
    RankStatus m_status;
    bool m_changed = true; // since the last line
    bool m_ended = false;  // the final line is out; the thread stops
    std::thread m_thread;  // the heartbeat; not started when lines are off
};

} // namespace rlhf::cli
