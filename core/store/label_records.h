// The rows of human judgment: comparison items (a prompt with two responses) waiting in the
// labeling pane, the labels annotators give them, the chat arena's battles with their vote, and
// the Chat tab's thumbs up / down on single replies.
// Plain structs like records.h; the judgment is always about the stored A and B, never about
// the screen side a response was shown on (that is recorded separately, for bias analysis).
#pragma once

#include "core/store/records.h"

#include <string>
#include <string_view>

namespace rlhf::store {

// Which of two responses is better.
enum class Judgment {
    A,       // response A is better
    B,       // response B is better
    Tie,     // both equally good
    BothBad, // neither is acceptable
};

// Where a comparison item came from.
enum class ItemSource {
    Import,  // a pair of an imported preference dataset, to be judged again by people
    Sampled, // two samples of one checkpoint for the same prompt, generated for labeling
    Arena,   // the two sides of an arena battle
};

// A person's verdict on one chat reply.
enum class Rating {
    Up,   // thumbs up: a good reply
    Down, // thumbs down: a bad reply
};

// The stored words ("a", "b", "tie", "both_bad"; "import", "sampled", "arena"; "up", "down"),
// and back; parse* throw rlhf::Error on an unknown word.
std::string_view judgmentName(Judgment judgment);
std::string_view itemSourceName(ItemSource source);
std::string_view ratingName(Rating rating);
Judgment parseJudgment(std::string_view word);
ItemSource parseItemSource(std::string_view word);
Rating parseRating(std::string_view word);

// A prompt with two responses to compare.
struct ComparisonItem {
    Id id = 0; // assigned by addComparisonItems
    ItemSource source = ItemSource::Import;
    // What it was made from, unique per source so queueing the same thing twice adds nothing:
    // "hh-rlhf#12" (dataset#ordinal), "checkpoints/3/step-400#arith-prompts#7#1234"
    // (checkpoint#dataset#ordinal#seed), "battle#5".
    std::string origin;
    // The prompt dialogue as compact JSON, the "prompt" of a preference document:
    // [{"role":"user","content":"..."}], ending with a user turn.
    std::string promptJson = "[]";
    std::string responseA, responseB;
    // Who wrote each response: a checkpoint path, or "chosen" / "rejected" of an imported pair.
    // Hidden from the labeler.
    std::string modelA, modelB;
    double created = unixSecondsNow();
};

// One annotator's judgment of one item. An annotator has at most one label per item.
struct Label {
    Id id = 0; // assigned by setLabel
    Id item = 0;
    std::string annotator; // non-empty, e.g. "alice"
    Judgment judgment = Judgment::A;
    bool swapped = false; // true when response A was shown on the right, B on the left
    std::string comment;  // optional free text
    double created = unixSecondsNow();
};

// A finished arena battle: two checkpoints answered the same user turns, each keeping its own
// conversation, and a person voted.
struct Battle {
    Id id = 0; // assigned by addBattle
    std::string modelA,
        modelB; // checkpoint folders, project-relative, e.g. "checkpoints/3/step-400"
    // Each side's whole conversation as compact JSON messages, the user turns identical:
    // [{"role":"user","content":"..."},{"role":"assistant","content":"..."}, ...]
    std::string conversationA = "[]", conversationB = "[]";
    std::string settingsA = "{}", settingsB = "{}"; // each side's generation settings, JSON
    Judgment vote = Judgment::Tie;
    std::string voter; // who voted, may be empty
    double created = unixSecondsNow();
};

// One rated reply of the Chat tab. A regenerated reply is rated as a row of its own, so one
// prompt can have a liked and a disliked reply: the pair that feedback training learns from.
struct Feedback {
    Id id = 0; // assigned by addFeedback
    // The conversation before the reply as compact JSON messages, ending with a user turn:
    // [{"role":"user","content":"..."}], the "prompt" of a preference document.
    std::string promptJson = "[]";
    std::string reply;           // the assistant reply that was rated
    std::string checkpoint;      // who wrote it: project-relative, e.g. "checkpoints/3/step-000400"
    std::string settings = "{}"; // its generation settings, JSON (gen::toJson)
    Rating rating = Rating::Up;
    std::string rater;               // who rated, may be empty
    double rated = unixSecondsNow(); // when it was rated, or its rating last changed
};

} // namespace rlhf::store
