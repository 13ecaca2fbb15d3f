// Where this process stands in a data-parallel job, read from the variables the launchers set:
// torchrun and `rlhf train --nproc` (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT) or Slurm's srun (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, ...). No torch here.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace rlhf::dist {

struct Rendezvous {
    int rank = 0;                // this process, 0 .. worldSize - 1
    int worldSize = 1;           // processes in the job, e.g. 8
    int localRank = 0;           // this process on its machine: its GPU index
    int localWorldSize = 1;      // processes on this machine
    std::string masterAddress;   // host of rank 0's rendezvous store, e.g. "127.0.0.1"
    uint16_t masterPort = 29500; // its TCP port (torchrun's default)
};

// Reads a variable; returns nullptr when it is unset (std::getenv, or a map in tests).
using EnvironmentLookup = std::function<const char*(const char*)>;

// The job this process belongs to, or nullopt when no launcher set a world (one process).
// Throws rlhf::Error naming the variable when one is malformed or the set is incomplete.
std::optional<Rendezvous> rendezvousFromEnvironment(const EnvironmentLookup& lookup);
std::optional<Rendezvous> rendezvousFromEnvironment();

// The first host of a Slurm node list when it is a plain list ("node1,node2" or "node1");
// empty for bracketed ranges ("node[1-4]"), which need `scontrol show hostnames`.
std::string firstSlurmHost(const std::string& nodeList);

} // namespace rlhf::dist
