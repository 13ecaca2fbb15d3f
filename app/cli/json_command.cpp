// popen, read everything, take the last JSON line.
#include "app/cli/json_command.h"

#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

namespace rlhf::cli {

nlohmann::json runJsonCommand(const std::string& command)
{
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) throw Error("cannot run " + command);
    std::string output;
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof buffer, pipe.get()))
        output.append(buffer, n);
    if (pclose(pipe.release()) != 0) throw Error(command + " failed:\n" + output);
    const auto brace = output.find_last_of('{');
    if (brace == std::string::npos) throw Error(command + " printed no JSON:\n" + output);
    const auto lineStart = output.rfind("\n{", brace);
    return nlohmann::json::parse(output.substr(lineStart == std::string::npos ? 0 : lineStart + 1));
}

double loadAverage()
{
    double load = -1;
    std::ifstream("/proc/loadavg") >> load;
    return load;
}

} // namespace rlhf::cli
