// Training batches from a flat token stream: random windows whose offsets are a pure function
// of (seed, step, micro-batch, row of the global batch), so a resumed run sees exactly the
// batches that an uninterrupted one would, with no sampler state to save, and N ranks taking
// rows [rank * B, (rank + 1) * B) see the batch of one process taking N * B rows. Validation
// uses fixed windows.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <span>

namespace rlhf::train {

class TokenWindows {
public:
    // `tokens` must outlive this object (typically a memory-mapped .u32 file).
    TokenWindows(std::span<const uint32_t> tokens, int64_t contextLength);

    // Rows firstRow .. firstRow + rows - 1 of the global batch, (rows, contextLength + 1)
    // int64: inputs are [:, :-1], targets [:, 1:].
    at::Tensor randomBatch(uint64_t seed, int64_t step, int64_t micro, int64_t firstRow,
                           int64_t rows) const;
    // Evaluation batch `index` of evenly spaced windows, the same every time.
    at::Tensor evalBatch(int64_t index, int64_t batches, int64_t rows) const;

    int64_t windowCount() const { return m_windows; }

private:
    at::Tensor gather(const std::vector<int64_t>& offsets) const;

    std::span<const uint32_t> m_tokens;
    int64_t m_context;
    int64_t m_windows; // number of valid window start offsets
};

} // namespace rlhf::train
