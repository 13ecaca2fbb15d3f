// One annotator's pass over the labeling queue: which item is shown, on which side each of its
// responses is shown, moving back and forth, skipping, and undoing this session's labels. Every
// label is committed to the project database before the session moves on, so what the labeler
// saw acknowledged survives a crash. Plain C++ over store::Database (no Qt), driven by the
// labeling pane.
#pragma once

#include "core/store/label_records.h"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

// A judgment as the labeler sees it: by screen side.
enum class ScreenChoice { Left, Right, Tie, BothBad };

// The stored judgment of a screen choice, given whether response A was shown on the right.
store::Judgment judgmentOf(ScreenChoice choice, bool swapped);
// The screen choice that shows a stored judgment, the inverse of judgmentOf.
ScreenChoice screenChoiceOf(store::Judgment judgment, bool swapped);

class LabelSession {
public:
    // The queue starts as the items `annotator` has not labelled, oldest first. `database`
    // must outlive the session. `seed` draws the left/right order of each item.
    LabelSession(store::Database& database, std::string annotator, uint64_t seed);

    const std::string& annotator() const { return m_annotator; }

    // Appends items queued since (by another thread, another process, another source).
    // Returns how many were appended.
    int64_t reload();

    // The item shown now; nullopt once every item of the queue is labelled.
    const store::ComparisonItem* current() const;
    // Whether the current item's response A is shown on the right.
    bool swapped() const;
    // This annotator's stored label of the current item (when moving back to a labelled one).
    std::optional<store::Label> currentLabel() const;

    // Commits the current item's label (replacing this annotator's earlier one), then moves to
    // the next unlabelled item. Returns the stored label. Throws rlhf::Error with no current
    // item or when the database refuses the write; nothing moves then.
    store::Label submit(ScreenChoice choice, const std::string& comment);
    // Puts the current item at the end of the queue; the next one is shown.
    void skip();
    // Previous / next item of the queue, labelled or not; false at either end.
    bool back();
    bool forward();
    // Removes this session's latest label still in place and shows its item again; nullopt
    // when this session has labelled nothing (left).
    std::optional<store::Id> undo();

    int64_t position() const { return m_position; } // index of the current item in the queue
    int64_t queueSize() const { return int64_t(m_queue.size()); }
    int64_t labelled() const;  // items this annotator has labelled, in the database
    int64_t remaining() const; // items this annotator has not labelled, in the database

private:
    bool isLabelled(store::Id item) const { return m_labelled.count(item) > 0; }
    // Draws the current item's left/right order the first time it is shown.
    void drawSides();
    // Moves to the first unlabelled item after the current one (wrapping), or past the end.
    void advance();

    store::Database& m_database;
    std::string m_annotator;
    std::mt19937_64 m_random;
    std::vector<store::ComparisonItem> m_queue;
    std::map<store::Id, bool> m_swapped; // drawn when an item is first shown
    std::set<store::Id> m_labelled;      // labelled by this annotator (queue items)
    std::vector<store::Id> m_history;    // items labelled in this session, latest last (for undo)
    int64_t m_position = 0;
};

} // namespace rlhf::widgets
