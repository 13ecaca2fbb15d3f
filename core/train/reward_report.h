// The reward model's report card on held-out pairs: accuracy, margin, the spread of its scores,
// accuracy by prompt length and by response length (quartile buckets), and its length bias —
// the correlation of score with response length, which a reward model learns all too easily
// when longer answers were preferred more often. Torch-free.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
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

struct RewardReport {
    int64_t pairs = 0;
    double accuracy = 0;                        // share of pairs with chosen > rejected
    double meanMargin = 0;                      // mean of chosen - rejected
    double scoreMean = 0, scoreStd = 0;         // over all replies, chosen and rejected
    std::vector<LengthBucket> byPromptLength;   // quartiles of the prompt length
    std::vector<LengthBucket> byResponseLength; // quartiles of the pair's mean reply length
    double lengthCorrelation = 0; // Pearson r of score and reply length over all replies

    nlohmann::json toJson() const;
    std::string summary() const; // a few lines for the log
};

RewardReport rewardReport(const std::vector<PairScore>& pairs);

} // namespace rlhf::train
