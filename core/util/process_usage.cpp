// Process CPU time and resident memory from /proc/<pid>/stat and statm (see process_usage.h).
#include "core/util/process_usage.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <unistd.h>

namespace rlhf {

std::optional<ProcessUsage> processUsage(int64_t pid)
{
    const std::string folder = pid > 0 ? "/proc/" + std::to_string(pid) : std::string("/proc/self");
    std::ifstream statFile(folder + "/stat");
    std::string stat;
    if (!std::getline(statFile, stat)) return std::nullopt;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
    // from the last ')'. utime and stime are fields 14 and 15 (1-based), 12 and 13 after it.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 1; i <= 13 && fields >> field; ++i) {
        if (i == 12) utime = std::stoull(field);
        if (i == 13) stime = std::stoull(field);
    }
    if (!fields) return std::nullopt;
    std::ifstream statmFile(folder + "/statm");
    long long sizePages = 0, residentPages = 0;
    if (!(statmFile >> sizePages >> residentPages)) return std::nullopt;
    const double ticks = double(sysconf(_SC_CLK_TCK));
    return ProcessUsage{double(utime + stime) / ticks,
                        int64_t(residentPages) * int64_t(sysconf(_SC_PAGE_SIZE))};
}

std::vector<int64_t> descendantProcesses(int64_t pid)
{
    const int64_t root = pid > 0 ? pid : int64_t(getpid());
    std::multimap<int64_t, int64_t> children; // parent -> child
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream statFile(entry.path() / "stat");
        std::string stat;
        if (!std::getline(statFile, stat)) continue; // it exited meanwhile
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream fields(stat.substr(close + 1));
        std::string state;
        long long parent = 0;
        if (fields >> state >> parent) children.emplace(parent, std::stoll(name));
    }
    std::vector<int64_t> found;
    std::vector<int64_t> pending{root};
    while (!pending.empty()) {
        const int64_t parent = pending.back();
        pending.pop_back();
        const auto [begin, end] = children.equal_range(parent);
        for (auto it = begin; it != end; ++it) {
            found.push_back(it->second);
            pending.push_back(it->second);
        }
    }
    return found;
}

double cpuPercent(const ProcessUsage& before, const ProcessUsage& after, double wallSeconds)
{
    if (wallSeconds <= 0) return 0;
    return 100.0 * (after.cpuSeconds - before.cpuSeconds) / wallSeconds;
}

} // namespace rlhf
