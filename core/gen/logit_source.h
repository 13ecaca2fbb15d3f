// What generation needs from a causal language model: feed new tokens, get next-token logits.
// The source owns its KV cache; generation only asks it to grow, reorder or reset it.
// core/model provides the Transformer-backed implementation; tests may use any other.
#pragma once

#include <ATen/core/Tensor.h>

namespace rlhf::gen {

struct DecodeInput {
    at::Tensor tokens;    // (B, T) int64: the new tokens of each row (left-padded in a batch)
    at::Tensor positions; // (B, T) int64: position of each new token within its own row
    at::Tensor keyValid;  // (B, Tcache + T) bool: false where a cached or new token is padding
};

class LogitSource {
public:
    virtual ~LogitSource() = default;

    // Appends `input` to the cache and returns the logits after its last position: (B, vocab)
    // float32.
    virtual at::Tensor forward(const DecodeInput& input) = 0;

    // Keeps cache rows `rows` ((B') int64) in that order: beam search reorders and duplicates
    // beams.
    virtual void selectRows(const at::Tensor& rows) = 0;

    // Empties the cache.
    virtual void reset() = 0;

    virtual int64_t vocabSize() const = 0;
    virtual int64_t maxPositions() const = 0; // longest sequence the model accepts, e.g. 1024
};

} // namespace rlhf::gen
