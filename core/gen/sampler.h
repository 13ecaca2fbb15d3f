// The sampling chain, llama.cpp style: repetition penalty -> temperature -> top-k -> top-p -> draw,
// each step a small function on (B, vocab) float logits that can be tested alone.
// Sampler strings them together with a seeded generator; it knows nothing about models or batches.
#pragma once

#include "core/gen/sampling_settings.h"

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace rlhf::gen {

// (B, vocab) bool: true where token v occurs among the valid tokens of row b.
// tokens (B, T) int64; valid (B, T) bool, or undefined when every token counts.
at::Tensor tokenPresence(const at::Tensor& tokens, const at::Tensor& valid, int64_t vocabSize);

// CTRL / Hugging Face repetition penalty: where `seen` (B, vocab) is true, positive logits are
// divided by `penalty` and negative ones multiplied by it. Returns new (B, vocab) logits.
at::Tensor applyRepetitionPenalty(const at::Tensor& logits, const at::Tensor& seen, float penalty);

// logits / temperature; temperature must be > 0 (greedy decoding does not scale).
at::Tensor applyTemperature(const at::Tensor& logits, float temperature);

// Keeps exactly the k largest logits of each row (ties broken by at::topk) and sets the others
// to -inf. k <= 0 or k >= vocab leaves the logits unchanged.
at::Tensor applyTopK(const at::Tensor& logits, int64_t k);

// Nucleus filter: keeps, per row, the most likely tokens whose cumulative probability first
// reaches `p`: a token is kept when the probability of all strictly more likely tokens is < p,
// so the most likely token always survives. p >= 1 leaves the logits unchanged.
at::Tensor applyTopP(const at::Tensor& logits, float p);

// One token per row, drawn with probability softmax(logits): (B) int64 on the logits' device.
// The uniforms come from `generator` (a CPU generator) whatever the logits' device, so a draw
// depends only on the seed and the logits. Tokens with logit -inf are never drawn.
at::Tensor drawToken(const at::Tensor& logits, at::Generator& generator);

// The most likely token of each row: (B) int64.
at::Tensor greedyToken(const at::Tensor& logits);

// The whole chain with its own seeded generator, from the sampling fields of SamplingSettings
// (temperature, topK, topP, repetitionPenalty, seed), its real numbers rounded to float once.
// Owns the generator; copies of a Sampler would share it (at::Generator is a handle), so Sampler
// is move-only.
class Sampler {
public:
    explicit Sampler(const SamplingSettings& settings);
    Sampler(Sampler&&) = default;
    Sampler& operator=(Sampler&&) = default;
    Sampler(const Sampler&) = delete;
    Sampler& operator=(const Sampler&) = delete;

    // The chain without the draw: penalty, then (unless greedy) temperature, top-k, top-p.
    // seen (B, vocab) bool, or undefined to skip the penalty. Returns (B, vocab).
    at::Tensor filter(const at::Tensor& logits, const at::Tensor& seen) const;

    // filter() then the draw, or argmax when temperature == 0: (B) int64.
    at::Tensor sample(const at::Tensor& logits, const at::Tensor& seen);

    bool isGreedy() const { return m_temperature == 0.0f; }
    // False when the penalty is 1: the caller need not track the tokens seen.
    bool penalizesRepetition() const { return m_repetitionPenalty != 1.0f; }

private:
    float m_temperature = 0;       // 0: greedy
    int64_t m_topK = 0;            // 0: off
    float m_topP = 1;              // 1: off
    float m_repetitionPenalty = 1; // 1: off
    at::Generator m_generator;     // CPU, seeded from the settings' seed
};

} // namespace rlhf::gen
