// Process tags from /proc (Linux): the boot id and a process's start time.
#include "core/store/process_tag.h"

#include <unistd.h>

#include <array>
#include <fstream>
#include <sstream>

namespace rlhf::store {

namespace {

std::string hostName()
{
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) != 0) return "localhost";
    return name.data();
}

std::string bootId()
{
    std::ifstream file("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(file, id);
    return id.empty() ? "-" : id;
}

// Field 22 of /proc/PID/stat, the start time in clock ticks after boot; "" when no such
// process. The command name (field 2) is in parentheses and may hold spaces: fields are
// counted after its closing parenthesis.
std::string startTicks(long pid)
{
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(file, line)) return "";
    const auto close = line.rfind(')');
    if (close == std::string::npos) return "";
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    for (int index = 3; index <= 22 && fields >> field; ++index)
        if (index == 22) return field;
    return "";
}

} // namespace

std::string thisProcessTag()
{
    const long pid = getpid();
    return hostName() + " " + bootId() + " " + std::to_string(pid) + " " + startTicks(pid);
}

ProcessState processState(std::string_view tag)
{
    std::istringstream fields{std::string(tag)};
    std::string host, boot, start;
    long pid = 0;
    if (!(fields >> host >> boot >> pid >> start)) return ProcessState::Gone;
    if (host != hostName()) return ProcessState::Unknown;
    if (boot != bootId()) return ProcessState::Gone;
    return startTicks(pid) == start ? ProcessState::Alive : ProcessState::Gone;
}

} // namespace rlhf::store
