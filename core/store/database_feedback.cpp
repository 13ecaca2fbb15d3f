// Database: the Chat tab's thumbs up / down, one row per rated reply (schema version 8 in
// schema.cpp). Turning them into preference pairs is core/eval/feedback_pairs.cpp's job, not the
// store's.
#include "core/store/database.h"

#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace rlhf::store {

namespace {

constexpr std::string_view feedbackColumns =
    "id, prompt, reply, checkpoint, settings, rating, rater, rated";

Feedback readFeedback(const Statement& row)
{
    Feedback feedback;
    feedback.id = row.columnInt64(0);
    feedback.promptJson = row.columnText(1);
    feedback.reply = row.columnText(2);
    feedback.checkpoint = row.columnText(3);
    feedback.settings = row.columnText(4);
    feedback.rating = parseRating(row.columnText(5));
    feedback.rater = row.columnText(6);
    feedback.rated = row.columnDouble(7);
    return feedback;
}

} // namespace

Id Database::addFeedback(const Feedback& feedback)
{
    const std::string action = "storing a " + std::string(ratingName(feedback.rating)) +
                               " rating of a reply by " + feedback.checkpoint;
    return withContext(context(action), [&] {
        const nlohmann::json prompt = nlohmann::json::parse(feedback.promptJson, nullptr, false);
        if (!prompt.is_array() || prompt.empty())
            throw Error("prompt: not a JSON array of messages");
        if (!nlohmann::json::accept(feedback.settings)) throw Error("settings: not valid JSON");
        if (feedback.reply.empty()) throw Error("reply: empty");
        Transaction transaction(handle());
        Statement insert(handle(), "INSERT INTO feedback (prompt, reply, checkpoint, settings, "
                                   "rating, rater, rated) VALUES (?, ?, ?, ?, ?, ?, ?)");
        insert.bindAll(feedback.promptJson, feedback.reply, feedback.checkpoint, feedback.settings,
                       ratingName(feedback.rating), feedback.rater, feedback.rated);
        insert.run();
        const Id id = sqlite3_last_insert_rowid(handle());
        transaction.commit();
        return id;
    });
}

void Database::setFeedbackRating(Id id, Rating rating, double rated)
{
    const std::string action =
        "rating feedback row " + std::to_string(id) + " " + std::string(ratingName(rating));
    withContext(context(action), [&] {
        Transaction transaction(handle());
        Statement update(handle(), "UPDATE feedback SET rating = ?, rated = ? WHERE id = ?");
        update.bindAll(ratingName(rating), rated, id);
        update.run();
        if (sqlite3_changes(handle()) == 0) throw Error("no such row");
        transaction.commit();
    });
}

bool Database::removeFeedback(Id id)
{
    return withContext(context("removing feedback row " + std::to_string(id)), [&] {
        Transaction transaction(handle());
        Statement remove(handle(), "DELETE FROM feedback WHERE id = ?");
        remove.bindAll(id);
        remove.run();
        const bool removed = sqlite3_changes(handle()) > 0;
        transaction.commit();
        return removed;
    });
}

std::vector<Feedback> Database::feedback() const
{
    return withContext(context("listing chat feedback"), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(feedbackColumns) + " FROM feedback ORDER BY id");
        std::vector<Feedback> result;
        while (query.step())
            result.push_back(readFeedback(query));
        return result;
    });
}

std::optional<Feedback> Database::feedbackRow(Id id) const
{
    return withContext(context("reading feedback row " + std::to_string(id)), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(feedbackColumns) + " FROM feedback WHERE id = ?");
        query.bindAll(id);
        std::optional<Feedback> result;
        if (query.step()) result = readFeedback(query);
        return result;
    });
}

} // namespace rlhf::store
