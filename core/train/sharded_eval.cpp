#include "core/train/sharded_eval.h"

#include "core/util/error.h"

#include <algorithm>

namespace rlhf::train {

namespace {

// first, first + 1, .., stop - 1
std::vector<int64_t> indices(int64_t first, int64_t stop)
{
    std::vector<int64_t> range;
    for (int64_t index = first; index < stop; ++index)
        range.push_back(index);
    return range;
}

} // namespace

EvalShard::EvalShard(int64_t available, int64_t batchSize, int64_t evalBatches, BatchShard shard)
    : m_batchSize(batchSize), m_shard(shard)
{
    if (batchSize <= 0 || evalBatches <= 0)
        throw Error("evaluation needs a positive batch size and batch count");
    const int64_t globalBatch = batchSize * shard.count;
    // eval_batches global batches, or the whole split where it holds fewer (compared so that a
    // very large eval_batches, a way to ask for every example, cannot overflow).
    m_examples = evalBatches > available / globalBatch ? std::max<int64_t>(available, 0)
                                                       : evalBatches * globalBatch;
}

int64_t EvalShard::batchCount() const
{
    return (m_examples + m_batchSize - 1) / m_batchSize;
}

std::vector<int64_t> EvalShard::batchNumbers() const
{
    std::vector<int64_t> numbers;
    for (int64_t number = m_shard.rank; number < batchCount(); number += m_shard.count)
        numbers.push_back(number);
    return numbers;
}

std::vector<std::vector<int64_t>> EvalShard::batches() const
{
    std::vector<std::vector<int64_t>> batches;
    for (const int64_t number : batchNumbers())
        batches.push_back(examplesOf(number));
    return batches;
}

std::vector<int64_t> EvalShard::examplesOf(int64_t number) const
{
    return indices(number * m_batchSize, std::min(m_examples, (number + 1) * m_batchSize));
}

std::string EvalShard::summary(const std::string& noun) const
{
    int64_t mine = 0;
    for (const auto& batch : batches())
        mine += int64_t(batch.size());
    return std::to_string(batchNumbers().size()) + " of " + std::to_string(batchCount()) +
           " validation batches (" + std::to_string(mine) + " of " + std::to_string(m_examples) +
           " " + noun + ") on this rank";
}

std::vector<std::vector<int64_t>> consecutiveBatches(size_t count, int64_t batchSize)
{
    std::vector<std::vector<int64_t>> batches;
    for (int64_t start = 0; start < int64_t(count); start += batchSize)
        batches.push_back(indices(start, std::min(int64_t(count), start + batchSize)));
    return batches;
}

} // namespace rlhf::train
