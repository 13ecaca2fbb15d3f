#include "core/train/sequence_batch.h"

#include "core/util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace rlhf::train {

SequenceBatch makeSequenceBatch(const std::vector<const chat::EncodedChat*>& rows,
                                int64_t padTokenId)
{
    if (rows.empty()) throw Error("an empty batch");
    int64_t longest = 2;
    for (const chat::EncodedChat* row : rows)
        longest = std::max<int64_t>(longest, int64_t(row->tokens.size()));
    const auto B = int64_t(rows.size());
    SequenceBatch batch;
    batch.tokens = at::full({B, longest}, padTokenId, at::kLong);
    batch.targetMask = at::zeros({B, longest - 1}, at::kFloat);
    batch.lengths = at::empty({B}, at::kLong);
    auto tokens = batch.tokens.accessor<int64_t, 2>();
    auto mask = batch.targetMask.accessor<float, 2>();
    auto lengths = batch.lengths.accessor<int64_t, 1>();
    for (int64_t b = 0; b < B; ++b) {
        const chat::EncodedChat& row = *rows[size_t(b)];
        lengths[b] = int64_t(row.tokens.size());
        for (size_t t = 0; t < row.tokens.size(); ++t) {
            tokens[b][int64_t(t)] = row.tokens[t];
            if (t > 0 && row.trained[t]) mask[b][int64_t(t) - 1] = 1.0f;
        }
    }
    return batch;
}

bool truncateChat(chat::EncodedChat& chat, int64_t maxLength)
{
    if (int64_t(chat.tokens.size()) <= maxLength) return false;
    chat.tokens.resize(size_t(maxLength));
    chat.trained.resize(size_t(maxLength));
    return true;
}

at::Tensor targetLogProbs(const at::Tensor& logits, const at::Tensor& tokens)
{
    const int64_t T = tokens.size(1);
    auto logProbs = at::log_softmax(logits.narrow(1, 0, T - 1).to(at::kFloat), -1);
    return logProbs.gather(2, tokens.narrow(1, 1, T - 1).unsqueeze(2)).squeeze(2);
}

BatchPlan::BatchPlan(std::vector<int64_t> lengths, int64_t batchSize, uint64_t seed,
                     BatchShard shard)
    : m_lengths(std::move(lengths)), m_batchSize(batchSize * shard.count), m_seed(seed),
      m_shard(shard)
{
    if (m_lengths.empty()) throw Error("no examples to batch");
    if (batchSize <= 0) throw Error("batch size must be positive");
    if (shard.count < 1 || shard.rank < 0 || shard.rank >= shard.count)
        throw Error("batch shard " + std::to_string(shard.rank) + " of " +
                    std::to_string(shard.count) + " does not exist");
    m_batchesPerEpoch = (int64_t(m_lengths.size()) + m_batchSize - 1) / m_batchSize;
}

std::vector<std::vector<int64_t>> BatchPlan::epoch(int64_t number) const
{
    // std::shuffle's result depends on the standard library, but a run only ever resumes on
    // the build that started it; the order is reproducible where it matters.
    std::mt19937_64 random(m_seed * 0x9E3779B97F4A7C15ull + uint64_t(number));
    std::vector<int64_t> order(m_lengths.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), random);
    const auto window = size_t(m_batchSize * 32);
    for (size_t start = 0; start < order.size(); start += window) {
        const auto stop = std::min(order.size(), start + window);
        std::stable_sort(order.begin() + long(start), order.begin() + long(stop),
                         [&](int64_t a, int64_t b) { return m_lengths[a] < m_lengths[b]; });
    }
    std::vector<std::vector<int64_t>> batches;
    for (size_t start = 0; start < order.size(); start += size_t(m_batchSize))
        batches.emplace_back(order.begin() + long(start),
                             order.begin() + long(std::min(order.size(), start + m_batchSize)));
    std::shuffle(batches.begin(), batches.end(), random);
    return batches;
}

const std::vector<int64_t>& BatchPlan::globalBatch(int64_t index) const
{
    const int64_t number = index / m_batchesPerEpoch;
    if (number != m_cachedEpoch) {
        m_cached = epoch(number);
        m_cachedEpoch = number;
    }
    return m_cached[size_t(index % m_batchesPerEpoch)];
}

double BatchPlan::shardWeight(int64_t index) const
{
    return double(batch(index).size()) * double(m_shard.count) / double(globalBatch(index).size());
}

std::vector<int64_t> BatchPlan::batch(int64_t index) const
{
    const auto& global = globalBatch(index);
    if (m_shard.count == 1) return global;
    const size_t size = global.size(), first = size * size_t(m_shard.rank) / size_t(m_shard.count),
                 last = size * size_t(m_shard.rank + 1) / size_t(m_shard.count);
    return {global.begin() + long(first), global.begin() + long(last)};
}

} // namespace rlhf::train
