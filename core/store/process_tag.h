// Which process trains a run, written so that another process can later tell whether it is
// still alive: "host boot-id pid start-ticks". The boot id tells a process from before a reboot
// (or power loss) from a new one that got the same pid; the start time (clock ticks after boot,
// /proc/PID/stat) tells a live process from a later one that reused the pid.
#pragma once

#include <string>
#include <string_view>

namespace rlhf::store {

// This process's tag, e.g. "gpu-box-3 0f1c…e2 48213 1934822".
std::string thisProcessTag();

enum class ProcessState {
    Alive,   // the tagged process runs on this machine now
    Gone,    // it ran on this machine and has ended (or the machine restarted since)
    Unknown, // it ran on another machine (a shared project folder): nothing to tell from here
};

// What became of the tagged process. An empty tag (a run recorded before tags were kept)
// counts as Gone: its process cannot be found, and a run left 'running' by it is stuck.
ProcessState processState(std::string_view tag);

} // namespace rlhf::store
