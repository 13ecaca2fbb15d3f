// Keys and values of every layer for incremental decoding: a forward over new tokens appends
// to it, so a token costs one position of attention instead of the whole prefix again.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace rlhf::model {

struct KvCache {
    std::vector<at::Tensor> keys;   // per layer: (B, kvHeads, Tcache, headDim), before GQA repeat
    std::vector<at::Tensor> values; // per layer: (B, kvHeads, Tcache, headDim)
    at::Tensor keyValid;            // (B, Tcache) bool: false where the cached token is padding

    int64_t length() const { return keyValid.defined() ? keyValid.size(1) : 0; }
    bool empty() const { return length() == 0; }

    // Keeps rows `rows` ((B') int64) in that order; beam search reorders and duplicates beams.
    void selectRows(const at::Tensor& rows);
    void clear();
};

} // namespace rlhf::model
