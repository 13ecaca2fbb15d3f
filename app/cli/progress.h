// The CLI's view of a running stage: a one-line progress bar on a terminal (redrawn in place,
// at most 10 times a second), plain log lines otherwise (pipes, CI logs).
#pragma once

#include <iostream>

#include "core/train/stage_observer.h"

#include <chrono>
#include <map>
#include <string>

namespace rlhf::cli {

class ProgressPrinter final : public train::StageObserver {
public:
    // Log lines go to `log` (stdout, or stderr when stdout carries a JSON result).
    explicit ProgressPrinter(std::ostream& log = std::cout);
    ~ProgressPrinter() override;

    void onMetrics(const train::StepMetrics& metrics) override;
    void onLog(const std::string& line) override;
    void onProgress(int64_t step, int64_t total) override;
    void onCheckpoint(const std::string& path, int64_t step) override;

private:
    void clearBar();

    std::ostream& m_log;

    bool m_terminal = false;
    bool m_barShown = false;
    std::map<std::string, double> m_latest; // last value of each metric
    std::chrono::steady_clock::time_point m_lastDraw;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

} // namespace rlhf::cli
