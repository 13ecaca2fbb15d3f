// Which validation examples an evaluation covers and which of them this rank evaluates. An
// evaluation covers eval_batches global batches (batch_size x ranks examples each, as a training
// step's global batch does), cut into batches of batch_size; rank r of N evaluates batches r,
// r + N, r + 2N, ... Each rank sums its losses and counts and Trainer::sumOverRanks adds them
// up, so the metrics are those one process with the global batch size computes over the same
// examples, and no two ranks evaluate the same batch. It decides no metric: the stages do.
#pragma once

#include "core/train/sequence_batch.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rlhf::train {

class EvalShard {
public:
    // `available`: examples in the validation split; `batchSize` and `evalBatches` as the
    // training options give them (per rank, global batches). The evaluation covers the first
    // examples of the split.
    EvalShard(int64_t available, int64_t batchSize, int64_t evalBatches, BatchShard shard);

    // Batches of batch_size the covered examples make, over all ranks (the last may be short).
    int64_t batchCount() const;
    // This rank's batch numbers, ascending; none when there are fewer batches than ranks.
    std::vector<int64_t> batchNumbers() const;
    // This rank's batches as the example indices each holds, in batchNumbers() order.
    std::vector<std::vector<int64_t>> batches() const;
    // "4 of 8 validation batches (32 of 64 windows) on this rank", `noun` naming the examples.
    std::string summary(const std::string& noun) const;

private:
    std::vector<int64_t> examplesOf(int64_t number) const; // consecutive

    int64_t m_examples = 0;
    int64_t m_batchSize = 1;
    BatchShard m_shard;
};

// All `count` examples in consecutive batches of `batchSize`: a pass over a whole split on one
// rank (DPO's reference log-probabilities of the training pairs, the reward model's report).
std::vector<std::vector<int64_t>> consecutiveBatches(size_t count, int64_t batchSize);

} // namespace rlhf::train
