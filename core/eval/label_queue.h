// Filling the labeling queue: comparison items from an imported preference dataset (its pairs,
// judged again by people) and from the arena's battles. Pairs sampled from a checkpoint are made
// where a model runs (core/chat/chat_model.h, the studio's sampler thread) and added with
// Database::addComparisonItems. Qt-free and torch-free.
#pragma once

#include "core/store/label_records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rlhf::store {
class Database;
}

namespace rlhf::eval {

// Items of a preference dataset's documents (all splits, or only `split` when not empty):
// A = chosen, B = rejected (modelA "chosen", modelB "rejected"), origin "<dataset>#<ordinal>".
// Throws rlhf::Error for a missing dataset or one of another kind. Returns how many were new.
int64_t queueDataset(store::Database& database, const std::string& dataset,
                     const std::string& split = {});

// Items of the stored battles that are not queued yet: the prompt is the conversation up to
// its last user turn (side A's history), the responses each side's last reply, origin
// "battle#<id>"; the battle's vote is stored with it as a label of annotator "arena:<voter>"
// ("arena:" when the voter is empty), so votes count as labels of this project; a queued
// battle whose vote label is missing (a crash between the two writes) gets it back. Returns how
// many items were new.
int64_t queueBattles(store::Database& database);

// The battle's preference pair when its vote has a winner: the winner's conversation up to the
// last user turn as prompt, its last reply chosen, the other side's last reply rejected.
struct BattlePair {
    std::string promptJson, chosen, rejected;
};
std::optional<BattlePair> battlePair(const store::Battle& battle);

} // namespace rlhf::eval
