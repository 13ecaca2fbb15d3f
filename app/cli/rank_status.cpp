// Each rank's status lines and the observer that prints them (see rank_status.h).
#include "app/cli/rank_status.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>

namespace rlhf::cli {

namespace {

constexpr auto kShortestGap = std::chrono::milliseconds(250); // at most four lines a second
constexpr auto kHeartbeat = std::chrono::seconds(1);          // at least one line a second
constexpr size_t kMessageBytes = 600; // keeps a line well under PIPE_BUF (one atomic write)

// The words of the states, in the order of RankState.
constexpr std::array<std::string_view, 8> kStateWords{
    "starting", "joined", "training", "saving", "barrier", "completed", "stopped", "failed"};

// `message` on one line and at most kMessageBytes long, not cut inside a UTF-8 sequence.
std::string oneLine(std::string message)
{
    for (char& character : message)
        if (character == '\n' || character == '\r' || character == '\t') character = ' ';
    if (message.size() > kMessageBytes) {
        size_t end = kMessageBytes;
        while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80)
            --end;
        message.resize(end);
        message += "...";
    }
    return message;
}

} // namespace

std::string_view rankStateWord(RankState state)
{
    return kStateWords.at(static_cast<size_t>(state));
}

std::string rankStatusLine(const RankStatus& status)
{
    std::string line = "rank-status " + std::to_string(status.rank) + "/" +
                       std::to_string(status.worldSize) + " pid=" + std::to_string(status.pid) +
                       " host=" + status.host +
                       " state=" + std::string(rankStateWord(status.state));
    if (status.totalSteps > 0)
        line += " step=" + std::to_string(status.step) + "/" + std::to_string(status.totalSteps);
    if (status.secondsPerStep > 0) {
        char seconds[32];
        std::snprintf(seconds, sizeof(seconds), " step_s=%.3f", status.secondsPerStep);
        line += seconds;
    }
    if (!status.message.empty()) line += " message=" + oneLine(status.message);
    return line + "\n";
}

std::string hostName()
{
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
    return name;
}

RankStatusReporter::RankStatusReporter(int rank, int worldSize, int64_t checkpointEvery,
                                       StatusLines lines, train::StageObserver& next)
    : m_next(next), m_checkpointEvery(checkpointEvery), m_lines(lines)
{
    m_status.rank = rank;
    m_status.worldSize = worldSize;
    m_status.pid = long(getpid());
    m_status.host = hostName();
    if (m_lines == StatusLines::On) m_thread = std::thread([this] { heartbeat(); });
}

RankStatusReporter::~RankStatusReporter()
{
    {
        const std::lock_guard lock(m_mutex);
        if (!m_ended && m_changed && m_lines == StatusLines::On) printLocked();
        m_ended = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

void RankStatusReporter::heartbeat()
{
    std::unique_lock lock(m_mutex);
    auto lastLine = std::chrono::steady_clock::now() - kHeartbeat;
    while (!m_ended) {
        const auto now = std::chrono::steady_clock::now();
        if (m_changed || now - lastLine >= kHeartbeat) {
            printLocked();
            lastLine = now;
        }
        m_wake.wait_for(lock, kShortestGap, [this] { return m_ended; });
    }
}

void RankStatusReporter::printLocked()
{
    // One write of the whole line: lines of several ranks share the launcher's stdout pipe.
    const std::string line = rankStatusLine(m_status);
    std::cout.write(line.data(), std::streamsize(line.size())).flush();
    m_changed = false;
}

void RankStatusReporter::setState(RankState state)
{
    const std::lock_guard lock(m_mutex);
    m_changed = m_changed || m_status.state != state;
    m_status.state = state;
}

void RankStatusReporter::finish(RankState state, const std::string& message)
{
    {
        const std::lock_guard lock(m_mutex);
        if (m_ended) return;
        m_status.state = state;
        m_status.message = message;
        if (m_lines == StatusLines::On) printLocked();
        m_ended = true;
    }
    m_wake.notify_all();
}

void RankStatusReporter::onRunRecorded(int64_t runId)
{
    const std::lock_guard lock(m_mutex);
    m_next.onRunRecorded(runId);
}

void RankStatusReporter::onMetrics(const train::StepMetrics& metrics)
{
    const std::lock_guard lock(m_mutex);
    m_status.state = RankState::Training;
    m_status.step = metrics.step;
    for (const auto& [name, value] : metrics.values)
        if (name == "time/step_s") m_status.secondsPerStep = value;
    m_changed = true;
    m_next.onMetrics(metrics);
}

void RankStatusReporter::onLog(const std::string& line)
{
    const std::lock_guard lock(m_mutex);
    m_next.onLog(line);
}

void RankStatusReporter::onProgress(int64_t step, int64_t total)
{
    const std::lock_guard lock(m_mutex);
    m_status.step = step;
    m_status.totalSteps = total;
    // The trainer's rule: rank 0 saves after the last step and every checkpoint_every steps
    // while the others wait at a barrier. After the last step that wait ends the stage.
    const bool last = step == total;
    if (m_status.rank == 0 && (last || (m_checkpointEvery > 0 && step % m_checkpointEvery == 0)))
        m_status.state = RankState::Saving;
    else if (last)
        m_status.state = RankState::Barrier;
    m_changed = true;
    m_next.onProgress(step, total);
}

void RankStatusReporter::onCheckpoint(const std::string& path, int64_t step)
{
    const std::lock_guard lock(m_mutex);
    // Saved: rank 0 joins the others at the barrier, then trains on (or ends, after the last).
    m_status.state = step == m_status.totalSteps ? RankState::Barrier : RankState::Training;
    m_changed = true;
    m_next.onCheckpoint(path, step);
}

void RankStatusReporter::onRollouts(const std::vector<store::Rollout>& rollouts)
{
    const std::lock_guard lock(m_mutex);
    m_next.onRollouts(rollouts);
}

} // namespace rlhf::cli
