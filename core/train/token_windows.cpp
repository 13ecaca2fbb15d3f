#include "core/train/token_windows.h"

#include "core/util/error.h"

#include <ATen/ATen.h>

#include <vector>

namespace rlhf::train {

namespace {

// SplitMix64: a strong 64-bit mix; chained over the coordinates of a window.
uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

} // namespace

TokenWindows::TokenWindows(std::span<const uint32_t> tokens, int64_t contextLength)
    : m_tokens(tokens), m_context(contextLength), m_windows(int64_t(tokens.size()) - contextLength)
{
    if (m_windows < 1)
        throw Error("token stream of " + std::to_string(tokens.size()) +
                    " tokens is too short for windows of " + std::to_string(contextLength + 1));
}

at::Tensor TokenWindows::gather(const std::vector<int64_t>& offsets) const
{
    const int64_t width = m_context + 1;
    auto batch = at::empty({int64_t(offsets.size()), width}, at::kLong); // (rows, T + 1)
    int64_t* out = batch.data_ptr<int64_t>();
    for (size_t row = 0; row < offsets.size(); ++row)
        for (int64_t t = 0; t < width; ++t)
            out[row * width + t] = m_tokens[offsets[row] + t];
    return batch;
}

at::Tensor TokenWindows::randomBatch(uint64_t seed, int64_t step, int64_t micro, int64_t firstRow,
                                     int64_t rows) const
{
    std::vector<int64_t> offsets(rows);
    for (int64_t row = 0; row < rows; ++row) {
        // The 0 stands where a rank once was, so one-process runs keep their windows.
        uint64_t h = mix(seed);
        for (uint64_t part :
             {uint64_t(step), uint64_t(micro), uint64_t(0), uint64_t(firstRow + row)})
            h = mix(h ^ part);
        offsets[row] = int64_t(h % uint64_t(m_windows));
    }
    return gather(offsets);
}

at::Tensor TokenWindows::evalBatch(int64_t index, int64_t batches, int64_t rows) const
{
    const int64_t total = batches * rows;
    std::vector<int64_t> offsets(rows);
    for (int64_t row = 0; row < rows; ++row) {
        const int64_t k = index * rows + row; // k-th of `total` evenly spaced windows
        offsets[row] = total > 1 ? (m_windows - 1) * k / (total - 1) : 0;
    }
    return gather(offsets);
}

} // namespace rlhf::train
