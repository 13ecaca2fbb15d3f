// From what users told the studio to preference pairs: the Chat tab's thumbs (a liked and a
// disliked reply to the same prompt make a pair) and the arena's votes with a winner
// (label_queue.h's battlePair). Everything that could not become a pair is counted and said, in
// a report; nothing is dropped silently. The pairs are written into the project as a preference
// dataset, split into train and val by a hash of the prompt, so one prompt never straddles the
// splits. Qt-free and torch-free.
#pragma once

#include "core/data/record.h"
#include "core/store/records.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rlhf::store {
class Database;
}

namespace rlhf::eval {

// Messages as compact JSON, role before content: the prompt form of feedback rows, battles and
// preference documents, [{"role":"user","content":"..."}].
std::string messagesJson(std::span<const data::Message> messages);

struct FeedbackPair {
    std::string promptJson; // the conversation before the replies, ending with a user turn
    std::string chosen, rejected;
    // Where it came from: "feedback#3>feedback#5" (liked row > disliked row) or "battle#7".
    std::string origin;
    std::string table; // the table of its (first) row: "feedback" or "battles"
    store::Id row = 0; // that row's id: the liked reply's row, or the battle
};

// What the feedback gave, and what it could not turn into pairs and why.
struct FeedbackReport {
    int64_t ratedReplies = 0; // feedback rows read
    int64_t battles = 0;      // arena battles read
    int64_t thumbPairs = 0;   // pairs from a liked and a disliked reply to one prompt
    int64_t battlePairs = 0;  // pairs from votes with a winner
    // Rated replies whose prompt has no reply of the other rating: to pair them, regenerate
    // and rate the other one.
    int64_t likedWithoutCounterpart = 0;
    int64_t dislikedWithoutCounterpart = 0;
    int64_t sameText = 0;   // a liked and a disliked reply with the very same text: no pair
    int64_t duplicates = 0; // pairs whose prompt, chosen and rejected another pair has already
    int64_t noWinner = 0;   // arena votes "tie" or "both bad"
    // Rows that could not be read, each naming its row: "feedback 4: prompt: ...".
    std::vector<std::string> problems;

    int64_t pairs() const { return thumbPairs + battlePairs; }
    // The report as sentences, for the CLI, the studio and the log:
    // "12 rated replies have no counterpart: regenerate and rate the other one (7 liked, 5
    // disliked)".
    std::vector<std::string> lines() const;
};

struct FeedbackPairs {
    std::vector<FeedbackPair> pairs; // thumbs first (by prompt's first row), then battles by id
    FeedbackReport report;
};

enum class BattleVotes {
    Include, // arena votes with a winner are pairs too
    Exclude, // the Chat tab's thumbs alone
};

// Every pair the stored feedback (and battles) make. A prompt with L liked and D disliked replies
// gives L x D pairs. Never throws for a malformed row: it is reported and skipped.
FeedbackPairs feedbackPairs(const store::Database& database,
                            BattleVotes battles = BattleVotes::Include);

// Whether a prompt's pairs go to the val split: a hash of its JSON text against valFraction
// (0-1, in steps of 0.1%), the same answer every time.
bool promptInValSplit(const std::string& promptJson, double valFraction);

struct FeedbackDataset {
    std::string name; // the preference dataset written, e.g. "feedback-2"
    store::Id id = 0;
    int64_t train = 0, val = 0; // pairs in each split
};

// The first free dataset name "<prefix>-1", "<prefix>-2", ...
std::string nextDatasetName(const store::Database& database, const std::string& prefix);

// Writes `pairs` as a new preference dataset `name` (a document per pair in the shape `rlhf
// import` gives preference data, its source "feedback" or "battles" with the row id as line).
// Throws rlhf::Error when the name is taken or refused (store/names.h), when there is no pair,
// or when every pair fell in the val split (nothing to train on).
FeedbackDataset writeFeedbackDataset(store::Database& database, const FeedbackPairs& pairs,
                                     const std::string& name, double valFraction);

} // namespace rlhf::eval
