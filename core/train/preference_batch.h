// Preference pairs as token rows for the reward model and DPO: the prompt dialogue followed by
// the chosen reply, and by the rejected one, each ending with the template's end token; a
// batch of B pairs is one batch of 2B rows, the chosen rows first.
#pragma once

#include "core/data/record.h"
#include "core/chat/chat_template.h"
#include "core/train/sequence_batch.h"
#include "core/train/stage_observer.h"

#include <string>
#include <vector>

namespace rlhf::train {

struct EncodedPair {
    chat::EncodedChat chosen, rejected; // trained = the reply's tokens
    int64_t promptTokens = 0;
};

// Pairs cut to `maxLength` tokens. A pair whose replies do not fit at all is left out and
// counted in the log with the first one's source.
std::vector<EncodedPair> encodePairs(const std::vector<data::Record>& records,
                                     const chat::ChatEncoder& encoder, int64_t maxLength,
                                     const std::string& split, StageObserver& observer);

// The longer reply's length of each pair: what a BatchPlan groups pairs by.
std::vector<int64_t> pairLengths(const std::vector<EncodedPair>& pairs);

// Rows chosen(indices...) then rejected(indices...).
SequenceBatch pairBatch(const std::vector<EncodedPair>& pairs, const std::vector<int64_t>& indices,
                        int64_t padTokenId);

// Indices first .. min(first + count, size) - 1: the fixed batches of an evaluation.
std::vector<int64_t> indexRange(size_t first, size_t count, size_t size);

} // namespace rlhf::train
