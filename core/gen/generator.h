// Text generation over a LogitSource: batched prompts of different lengths, prefill, then one
// sampled token per row and step until eos, a stop sequence or string, the callback, or the
// length limit ends each row. Sampling itself lives in sampler.h, beam search in beam_search.h.
#pragma once

#include "core/gen/finish_reason.h"
#include "core/gen/logit_source.h"
#include "core/gen/sampling_settings.h"
#include "core/gen/stop_condition.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rlhf::gen {

struct GenerationConfig {
    // temperature 0 = greedy; seeded, so a batch repeats exactly. Uses every field but beams and
    // lengthPenalty (beam search is beam_search.h): maxNewTokens is the limit per row.
    SamplingSettings sampling;
    std::vector<int64_t> eosTokenIds; // any of them ends a row and is left out, e.g. {50256}
    std::vector<std::vector<int64_t>> stopSequences; // token sequences that end a row; removed
    std::vector<std::string> stopStrings; // texts that end a row; cut with all after them.
                                          // Need the Detokenizer argument of generate()
    int64_t padTokenId = 0; // fed at left-padding positions (masked by keyValid); any valid id
};

struct GeneratedSequence {
    std::vector<int64_t> tokens; // new tokens (prompt excluded), without eos or stop sequence
    std::string text; // decode(tokens), or the text before a stop string; empty without decoder
    FinishReason reason = FinishReason::Length;
};

// What the streaming callback wants after a token.
enum class StreamControl {
    Continue, // go on
    StopRow,  // end this row (keeping this token): FinishReason::Callback
    StopAll,  // end every row now; rows later in this step get no token this step
};

// Called once per new token, in order: step by step, and within a step by ascending row (the
// row's index in `prompts`). Eos tokens are not streamed. A stop sequence or stop string is only
// recognised once complete, so its tokens have been streamed when the result drops them.
using TokenCallback = std::function<StreamControl(int64_t row, int64_t token)>;

// Generates a continuation of every prompt (each at least one token). Resets `source` first.
// Returns one GeneratedSequence per prompt, in order. The same source, prompts, config and seed
// give the same output. Throws rlhf::Error on an empty prompt, a prompt longer than the model's
// context, an invalid sampling config, or stop strings without `decode`.
std::vector<GeneratedSequence> generate(LogitSource& source,
                                        const std::vector<std::vector<int64_t>>& prompts,
                                        const GenerationConfig& config,
                                        const TokenCallback& onToken = {},
                                        const Detokenizer& decode = {});

} // namespace rlhf::gen
