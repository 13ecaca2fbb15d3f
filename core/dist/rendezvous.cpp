#include "core/dist/rendezvous.h"

#include "core/util/error.h"

#include <charconv>
#include <cstdlib>

namespace rlhf::dist {

namespace {

int integerVariable(const EnvironmentLookup& lookup, const char* name, int minimum)
{
    const char* text = lookup(name);
    const std::string value = text ? text : "";
    int number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || error != std::errc() || end != value.data() + value.size() ||
        number < minimum)
        throw Error(std::string(name) + "=\"" + value +
                    "\": expected an integer >= " + std::to_string(minimum));
    return number;
}

std::string stringVariable(const EnvironmentLookup& lookup, const char* name)
{
    const char* text = lookup(name);
    return text ? text : "";
}

void checkRanks(const Rendezvous& job, const char* rankName, const char* worldName)
{
    if (job.rank >= job.worldSize)
        throw Error(std::string(rankName) + "=" + std::to_string(job.rank) + " is not below " +
                    worldName + "=" + std::to_string(job.worldSize));
}

} // namespace

std::string firstSlurmHost(const std::string& nodeList)
{
    if (nodeList.find('[') != std::string::npos) return {};
    return nodeList.substr(0, nodeList.find(','));
}

std::optional<Rendezvous> rendezvousFromEnvironment(const EnvironmentLookup& lookup)
{
    Rendezvous job;
    if (lookup("WORLD_SIZE") || lookup("RANK")) { // torchrun, rlhf train --nproc
        job.rank = integerVariable(lookup, "RANK", 0);
        job.worldSize = integerVariable(lookup, "WORLD_SIZE", 1);
        checkRanks(job, "RANK", "WORLD_SIZE");
        job.localRank = lookup("LOCAL_RANK") ? integerVariable(lookup, "LOCAL_RANK", 0) : job.rank;
        job.localWorldSize = lookup("LOCAL_WORLD_SIZE")
                                 ? integerVariable(lookup, "LOCAL_WORLD_SIZE", 1)
                                 : job.worldSize;
    } else if (lookup("SLURM_PROCID") && lookup("SLURM_NTASKS")) { // srun
        job.rank = integerVariable(lookup, "SLURM_PROCID", 0);
        job.worldSize = integerVariable(lookup, "SLURM_NTASKS", 1);
        checkRanks(job, "SLURM_PROCID", "SLURM_NTASKS");
        job.localRank = lookup("SLURM_LOCALID") ? integerVariable(lookup, "SLURM_LOCALID", 0) : 0;
        job.localWorldSize = lookup("SLURM_NTASKS_PER_NODE")
                                 ? integerVariable(lookup, "SLURM_NTASKS_PER_NODE", 1)
                                 : 1;
    } else {
        return std::nullopt;
    }
    job.masterAddress = stringVariable(lookup, "MASTER_ADDR");
    if (job.masterAddress.empty())
        job.masterAddress = stringVariable(lookup, "SLURM_LAUNCH_NODE_IPADDR");
    if (job.masterAddress.empty())
        job.masterAddress = firstSlurmHost(stringVariable(lookup, "SLURM_JOB_NODELIST"));
    if (job.masterAddress.empty() && job.worldSize > 1)
        throw Error("MASTER_ADDR is not set (nor SLURM_LAUNCH_NODE_IPADDR, nor a plain "
                    "SLURM_JOB_NODELIST): where does rank 0 listen?");
    if (lookup("MASTER_PORT")) {
        const int port = integerVariable(lookup, "MASTER_PORT", 1);
        if (port > 65535) throw Error("MASTER_PORT=" + std::to_string(port) + ": not a TCP port");
        job.masterPort = uint16_t(port);
    }
    return job;
}

std::optional<Rendezvous> rendezvousFromEnvironment()
{
    return rendezvousFromEnvironment([](const char* name) { return std::getenv(name); });
}

} // namespace rlhf::dist
