// AdamW across data-parallel ranks: its state whole on every rank (each rank steps every
// parameter), or sharded over them as ZeRO stage 1 does (DeepSpeed; PyTorch's
// ZeroRedundancyOptimizer): each parameter has one owning rank, which alone keeps its moments and
// updates it, then broadcasts it to the others. Gradients are averaged before the step (by the
// trainer), so a clip by the global norm is the same on every rank. A checkpoint holds the whole
// state in one file either way: rank 0 receives the other shards before it saves, and a resume
// reads only its own partition's entries, so a run resumes on any number of ranks, sharded or not.
#pragma once

#include "core/train/adamw.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace rlhf::dist {
class Communicator;
}

namespace rlhf::train {

enum class StateSharding {
    Replicated, // every rank keeps the whole state (plain data parallelism)
    Sharded,    // ZeRO-1: each rank keeps its own partition's
};

// The owning rank of each parameter, balanced by element count: largest first, each to the rank
// with the fewest elements so far (the lowest on a tie), as ZeroRedundancyOptimizer partitions.
// A function of the shapes alone, so every rank computes the same partition.
std::vector<int> partitionByElements(const NamedTensors& parameters, int ranks);

class ShardedAdamW {
public:
    // `communicator` outlives the optimizer. Sharded on a single rank is Replicated.
    ShardedAdamW(NamedTensors parameters, AdamWConfig config, dist::Communicator& communicator,
                 StateSharding sharding);

    // Steps the own partition from the (averaged) gradients, then shares each owner's
    // parameters with every rank.
    void step(double learningRate);
    // Zeroes every parameter's gradient, not only the own partition's (all take part in backward).
    void zeroGrad();

    // The whole state, named as AdamW::state(), on rank 0. Collective when sharded: the other
    // ranks send their shards to rank 0 and get an empty list.
    NamedTensors gatherState();
    // Restores the own partition from a saved whole state, reading only its entries; throws
    // rlhf::Error naming a missing or mis-shaped tensor.
    void loadState(const std::filesystem::path& file);

    bool sharded() const { return m_sharded; }
    // Bytes of moments each rank keeps, in rank order (one entry when replicated).
    std::vector<int64_t> stateBytesPerRank() const;
    // "optimizer state sharded over 2 ranks: 1.23 MB of 2.46 MB on this rank (bytes per rank:
    // 1229312, 1229568)"; replicated: "optimizer state 2.46 MB on this rank".
    std::string describe() const;

private:
    std::vector<at::Tensor> parametersOwnedBy(int rank) const;

    NamedTensors m_parameters; // every trained parameter, in the model's order
    std::vector<int> m_owners; // each parameter's owning rank
    dist::Communicator& m_communicator;
    bool m_sharded = false;
    AdamW m_own; // over the parameters this rank owns: all of them when replicated
};

} // namespace rlhf::train
