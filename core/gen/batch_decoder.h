// Drives a LogitSource over a left-padded batch of rows of different lengths: builds each
// DecodeInput (tokens, per-row positions, keyValid) and keeps keyValid and the row lengths in
// step with the source's cache when rows are dropped, duplicated or reordered.
// Shared by generate() and beamSearch(); it does no sampling and no scoring. Everything it
// hands the source (DecodeInput, selectRows' rows) is on the CPU; a GPU source moves it.
#pragma once

#include "core/gen/logit_source.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace rlhf::gen {

// The prefill of `prompts` (each non-empty), left-padded with padTokenId to the longest one:
// tokens (B, L), positions (B, L) counting from each row's first real token (0 on padding),
// keyValid (B, L) false on padding. CPU tensors.
DecodeInput leftPaddedBatch(const std::vector<std::vector<int64_t>>& prompts, int64_t padTokenId);

class BatchDecoder {
public:
    explicit BatchDecoder(LogitSource& source) : m_source(source) {}

    // Resets the source and feeds `prefill` (from leftPaddedBatch): (B, vocab) logits after each
    // row's last token. Throws rlhf::Error when the batch is longer than source.maxPositions().
    at::Tensor prefill(const DecodeInput& prefill);

    // Feeds one token per row (tokens.size() == rows()): (B, vocab) logits. Needs room() >= 1.
    at::Tensor step(const std::vector<int64_t>& tokens);

    // Keeps rows `rows` in that order, in the source's cache and here alike.
    void selectRows(const std::vector<int64_t>& rows);

    int64_t rows() const { return static_cast<int64_t>(m_rowLengths.size()); }
    // Tokens (padding included) each row of the cache holds: Tcache.
    int64_t cacheLength() const { return m_keyValid.defined() ? m_keyValid.size(1) : 0; }
    // Tokens that can still be fed before the cache reaches the model's maxPositions.
    int64_t room() const { return m_source.maxPositions() - cacheLength(); }

private:
    LogitSource& m_source;             // not owned; outlives this decoder
    at::Tensor m_keyValid;             // (B, Tcache) bool on the CPU: false on padding
    std::vector<int64_t> m_rowLengths; // real tokens per row: the position of its next token
};

} // namespace rlhf::gen
