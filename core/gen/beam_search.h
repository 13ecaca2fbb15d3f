// Beam search over a LogitSource, with Hugging Face's scoring: a finished hypothesis scores
// sum(log p) / length^lengthPenalty, length counting its eos; the best numBeams are kept per
// prompt. Deterministic (no sampling); reorders the source's cache with selectRows.
#pragma once

#include "core/gen/finish_reason.h"
#include "core/gen/logit_source.h"

#include <cstdint>
#include <vector>

namespace rlhf::gen {

// When a prompt's search ends before maxNewTokens (it always needs numBeams finished hypotheses).
enum class EarlyStopping {
    WhenFull,  // at once (HF early_stopping=True)
    Heuristic, // when the best running beam, scored at its current length, is no better than the
               // worst kept hypothesis (HF early_stopping=False)
    Never,     // when no running beam can beat the worst kept hypothesis at any length up to
               // maxNewTokens (HF "never"): exact among the beams
};

struct BeamSearchConfig {
    int64_t numBeams = 4;      // running beams and kept hypotheses per prompt, e.g. 4
    int64_t numReturn = 1;     // best hypotheses returned per prompt, 1..numBeams
    double lengthPenalty = 1.; // alpha: > 0 favours longer outputs, < 0 shorter, 0 = plain sum
    EarlyStopping earlyStopping = EarlyStopping::Heuristic; // HF's default
    int64_t maxNewTokens = 64;        // generated tokens per hypothesis at most, e.g. 64
    std::vector<int64_t> eosTokenIds; // any of them finishes a beam (not part of its tokens)
    int64_t padTokenId = 0;           // fed at left-padding positions; any valid id
};

struct BeamHypothesis {
    std::vector<int64_t> tokens; // new tokens, prompt and eos excluded
    double score = 0.0;          // sumLogProb / length^lengthPenalty, length = tokens (+ eos)
    double sumLogProb = 0.0;     // log probability of tokens (and eos) given the prompt
    FinishReason reason = FinishReason::Length; // Eos, or Length at maxNewTokens / full context
};

// For each prompt (each at least one token), its best min(numReturn, found) hypotheses, best
// first. Resets `source` first. Throws rlhf::Error on an invalid config, an empty prompt or a
// prompt longer than the model's context.
std::vector<std::vector<BeamHypothesis>>
beamSearch(LogitSource& source, const std::vector<std::vector<int64_t>>& prompts,
           const BeamSearchConfig& config);

} // namespace rlhf::gen
