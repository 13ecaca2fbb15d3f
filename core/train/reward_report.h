// The reward model's report card on held-out pairs: accuracy, margin, the spread of its scores,
// accuracy by prompt length and by response length (quartile buckets), its calibration (accuracy
// by score gap beside the Bradley-Terry probability of that gap), and its length bias — the
// correlation of score with response length and how often it prefers the longer reply, which a
// reward model learns all too easily when longer answers were preferred more often. The stage
// adds its accuracy on pairs of the policy's own samples where a rule knows the answer
// (on-policy: what PPO will be scored on). Torch-free.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rlhf::train {

struct PairScore {
    int64_t promptTokens = 0, chosenTokens = 0, rejectedTokens = 0;
    double chosen = 0, rejected = 0; // the model's scores
};

struct LengthBucket {
    int64_t from = 0, to = 0; // lengths in tokens, inclusive
    int64_t pairs = 0;
    double accuracy = 0;
};

// Pairs whose score gap |chosen - rejected| falls in [from, to): how often the reply the model
// scores higher is the chosen one (accuracy), against the Bradley-Terry model's own belief,
// the mean of sigmoid(gap) (confidence). A calibrated model has the two equal.
struct GapBucket {
    double from = 0, to = 0;
    int64_t pairs = 0;
    double accuracy = 0, confidence = 0;
};

// Pairs of the policy's own replies to held-out prompts, one right and one wrong by a rule.
struct OnPolicyAccuracy {
    int64_t prompts = 0, replies = 0; // prompts sampled, replies drawn in all
    int64_t pairs = 0;                // (right, wrong) reply pairs of one prompt
    double accuracy = 0;              // share of them where the right reply scores higher
    double replyAccuracy = 0;         // share of replies the rule calls right
};

struct RewardReport {
    int64_t pairs = 0;
    double accuracy = 0;                        // share of pairs with chosen > rejected
    double meanMargin = 0;                      // mean of chosen - rejected
    double scoreMean = 0, scoreStd = 0;         // over all replies, chosen and rejected
    std::vector<LengthBucket> byPromptLength;   // quartiles of the prompt length
    std::vector<LengthBucket> byResponseLength; // quartiles of the pair's mean reply length
    double lengthCorrelation = 0;       // Pearson r of score and reply length over all replies
    std::vector<GapBucket> calibration; // quintiles of the score gap
    double calibrationError = 0;        // expected calibration error over those buckets
    // Pairs whose replies differ in length: the share where the chosen one is the longer, and
    // the share where the model scores the longer one higher (above the first: a length bias).
    int64_t unequalLengthPairs = 0;
    double chosenLonger = 0, prefersLonger = 0;
    std::optional<OnPolicyAccuracy> onPolicy;

    nlohmann::json toJson() const;
    std::string summary() const; // a few lines for the log
};

RewardReport rewardReport(const std::vector<PairScore>& pairs);

} // namespace rlhf::train
