// What a process costs the machine right now, read from Linux's /proc: CPU time used so far and
// resident memory. Torch-free and Qt-free; the studio's system panel turns two readings into a
// CPU percentage.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace rlhf {

struct ProcessUsage {
    double cpuSeconds = 0;     // user + system time since the process started
    int64_t residentBytes = 0; // resident set size now
};

// The usage of process `pid` (0: this process); nothing when it is gone or /proc is unreadable.
std::optional<ProcessUsage> processUsage(int64_t pid = 0);

// Every process below `pid` (0: this process): children, their children, ... (a training run's
// launcher and its rank processes).
std::vector<int64_t> descendantProcesses(int64_t pid = 0);

// CPU percentage between two readings `wallSeconds` apart: 100 per fully busy core.
double cpuPercent(const ProcessUsage& before, const ProcessUsage& after, double wallSeconds);

} // namespace rlhf
