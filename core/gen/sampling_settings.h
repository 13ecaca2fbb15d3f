// How a reply is decoded: the sampling chain's settings, the length limit, beam search and the
// seed. One struct for `rlhf generate`, chat and the arena, pair sampling and RL rollouts; each
// fills the fields it uses. Torch-free, so Qt code includes it. The real numbers are doubles
// (documents and spin boxes hold doubles); the sampling chain rounds them to float once.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>

namespace rlhf::gen {

struct SamplingSettings {
    double temperature = 0.8;       // divides the logits; 0 means greedy argmax, e.g. 0.7-1.0
    int64_t topK = 40;              // keep only the k most likely tokens; 0 turns it off
    double topP = 0.95;             // nucleus: smallest set whose probability reaches p; 1 = off
    double repetitionPenalty = 1.1; // CTRL penalty on tokens already in the row's context; 1 = off
    int64_t maxNewTokens = 128;     // tokens generated per reply at most, e.g. 128
    int64_t beams = 1;              // > 1: beam search instead of sampling (no streaming)
    double lengthPenalty = 1.0;     // beam search only: > 0 favours longer replies
    uint64_t seed = 1234;           // seeds the draw, so the same batch repeats exactly
};

// All eight fields by their document names (temperature, top_k, top_p, repetition_penalty,
// max_new_tokens, beams, length_penalty, seed), as the arena stores each side's settings.
nlohmann::json toJson(const SamplingSettings& settings);

// The ranges every caller (CLI flags, chat and arena settings, documents) is held to, checked in
// one place: temperature 0-100, top_k >= 0, top_p in (0, 1], repetition_penalty in (0, 10],
// max_new_tokens 1-1,000,000, beams 1-64, a finite length_penalty. Throws rlhf::Error naming
// the first field out of range, e.g. "beams: 100000 is out of range (1 to 64)".
void checkSampling(const SamplingSettings& settings);

} // namespace rlhf::gen
