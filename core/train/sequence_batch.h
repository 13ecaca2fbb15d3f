// Batches of dialogues for the fine-tuning stages: right-padded token tensors with a mask of
// the trained targets, a seeded batch order that groups similar lengths (little padding) and
// is a pure function of the step (so a resumed run sees the same batches), and the per-token
// log-probabilities every alignment loss starts from.
#pragma once

#include "core/chat/chat_template.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace rlhf::train {

struct SequenceBatch {
    at::Tensor tokens;     // (B, T) int64, right-padded with the pad id
    at::Tensor targetMask; // (B, T - 1) float: 1 where tokens[:, t + 1] is a trained target
    at::Tensor lengths;    // (B) int64: real tokens per row
};

// Rows longer than `maxLength` must have been cut before. CPU tensors.
SequenceBatch makeSequenceBatch(const std::vector<const chat::EncodedChat*>& rows,
                                int64_t padTokenId);

// Cuts `chat` to its first `maxLength` tokens; returns whether anything was cut.
bool truncateChat(chat::EncodedChat& chat, int64_t maxLength);

// log p(tokens[:, t + 1] | tokens[:, ..t]) from logits (B, T, V) of tokens (B, T): (B, T - 1)
// float32, differentiable.
at::Tensor targetLogProbs(const at::Tensor& logits, const at::Tensor& tokens);

// Which part of each global batch this process trains on: rank r of N takes the r-th of N
// near-equal consecutive slices.
struct BatchShard {
    int rank = 0;  // this process, 0 .. count - 1
    int count = 1; // processes sharing each batch (the world size)
};

// A seeded order over examples of the given lengths: each epoch shuffles them, sorts windows
// of 32 batches by length and shuffles the batches, so a batch holds similar lengths. Sharded,
// the global batch holds batchSize x shard.count examples, the same batches one process with
// that batch size sees, and batch() returns this rank's slice of it.
class BatchPlan {
public:
    BatchPlan(std::vector<int64_t> lengths, int64_t batchSize, uint64_t seed,
              BatchShard shard = {});

    // Example indices of batch `index` (0-based, counting across epochs), this shard's part.
    std::vector<int64_t> batch(int64_t index) const;
    // This shard's share of global batch `index` times the shard count: 1 when the batch splits
    // evenly. A rank's mean over its part times this, averaged over the ranks, is the mean over
    // the global batch (a short last batch of an epoch splits unevenly, or leaves a rank none).
    double shardWeight(int64_t index) const;
    // Examples in global batch `index`, over all shards.
    int64_t globalBatchSize(int64_t index) const { return int64_t(globalBatch(index).size()); }
    int64_t batchesPerEpoch() const { return m_batchesPerEpoch; }

private:
    std::vector<std::vector<int64_t>> epoch(int64_t number) const;
    const std::vector<int64_t>& globalBatch(int64_t index) const; // all shards' examples

    std::vector<int64_t> m_lengths;
    int64_t m_batchSize = 1; // global: per process x shard count
    uint64_t m_seed = 0;
    BatchShard m_shard;
    int64_t m_batchesPerEpoch = 0;
    mutable int64_t m_cachedEpoch = -1;
    mutable std::vector<std::vector<int64_t>> m_cached;
};

} // namespace rlhf::train
