// Running a benchmark's twin (a Python reference script) from the `rlhf bench` commands: the
// command's output is read whole and its last line that starts with '{' is the result.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace rlhf::cli {

// Runs `command` through the shell and parses the last output line starting with '{'. Throws
// rlhf::Error with the command and its output when it fails or prints no JSON line.
nlohmann::json runJsonCommand(const std::string& command);

// The 1-minute load average (/proc/loadavg; -1 when unreadable): the numbers of a shared
// machine need it beside them.
double loadAverage();

} // namespace rlhf::cli
