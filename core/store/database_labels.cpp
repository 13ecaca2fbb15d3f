// Database: comparison items waiting to be judged and the labels annotators give them (schema
// version 5 in schema.cpp). An annotator has one label per item: setting it again replaces it.
// Arena battles are in database_arena.cpp.
#include "core/store/database.h"

#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace rlhf::store {

namespace {

constexpr std::string_view itemColumns =
    "id, source, origin, prompt, response_a, response_b, model_a, model_b, created";
constexpr std::string_view labelColumns =
    "id, item, annotator, judgment, swapped, comment, created";

ComparisonItem readItem(const Statement& row)
{
    ComparisonItem item;
    item.id = row.columnInt64(0);
    item.source = parseItemSource(row.columnText(1));
    item.origin = row.columnText(2);
    item.promptJson = row.columnText(3);
    item.responseA = row.columnText(4);
    item.responseB = row.columnText(5);
    item.modelA = row.columnText(6);
    item.modelB = row.columnText(7);
    item.created = row.columnDouble(8);
    return item;
}

Label readLabel(const Statement& row)
{
    Label label;
    label.id = row.columnInt64(0);
    label.item = row.columnInt64(1);
    label.annotator = row.columnText(2);
    label.judgment = parseJudgment(row.columnText(3));
    label.swapped = row.columnInt64(4) != 0;
    label.comment = row.columnText(5);
    label.created = row.columnDouble(6);
    return label;
}

template <typename Row, typename Read> std::vector<Row> readAll(Statement& query, Read read)
{
    std::vector<Row> result;
    while (query.step())
        result.push_back(read(query));
    return result;
}

} // namespace

int64_t Database::addComparisonItems(std::span<const ComparisonItem> items)
{
    const std::string action = "adding " + std::to_string(items.size()) + " comparison items";
    return withContext(context(action), [&] {
        Transaction transaction(handle());
        Statement insert(handle(), "INSERT INTO comparison_items (source, origin, prompt, "
                                   "response_a, response_b, model_a, model_b, created) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                                   "ON CONFLICT (source, origin) DO NOTHING");
        int64_t added = 0;
        for (const ComparisonItem& item : items) {
            // A bad prompt would only surface later, in the pane or an export: refuse it here.
            if (!nlohmann::json::accept(item.promptJson)) {
                throw Error("item '" + item.origin + "': the prompt is not valid JSON");
            }
            insert.bindAll(itemSourceName(item.source), item.origin, item.promptJson,
                           item.responseA, item.responseB, item.modelA, item.modelB, item.created);
            insert.run();
            added += sqlite3_changes(handle());
        }
        transaction.commit();
        return added;
    });
}

std::optional<ComparisonItem> Database::comparisonItem(Id id) const
{
    return withContext(context("reading comparison item " + std::to_string(id)), [&] {
        Statement query(handle(), "SELECT " + std::string(itemColumns) +
                                      " FROM comparison_items WHERE id = ?");
        query.bindAll(id);
        std::optional<ComparisonItem> result;
        if (query.step()) result = readItem(query);
        return result;
    });
}

std::vector<ComparisonItem> Database::comparisonItems() const
{
    return withContext(context("listing comparison items"), [&] {
        Statement query(handle(), "SELECT " + std::string(itemColumns) +
                                      " FROM comparison_items ORDER BY id");
        return readAll<ComparisonItem>(query, readItem);
    });
}

int64_t Database::comparisonItemCount() const
{
    return withContext(context("counting comparison items"), [&] {
        Statement query(handle(), "SELECT COUNT(*) FROM comparison_items");
        query.step();
        return query.columnInt64(0);
    });
}

std::vector<ComparisonItem> Database::unlabelledItems(std::string_view annotator,
                                                      int64_t limit) const
{
    const std::string action = "listing items '" + std::string(annotator) + "' has not labelled";
    return withContext(context(action), [&] {
        // LIMIT -1 is SQLite's "no limit", which is what a negative limit means here too.
        Statement query(handle(), "SELECT " + std::string(itemColumns) +
                                      " FROM comparison_items AS i WHERE NOT EXISTS "
                                      "(SELECT 1 FROM labels AS l WHERE l.item = i.id AND "
                                      "l.annotator = ?) ORDER BY id LIMIT ?");
        query.bindAll(annotator, limit < 0 ? int64_t(-1) : limit);
        return readAll<ComparisonItem>(query, readItem);
    });
}

int64_t Database::unlabelledCount(std::string_view annotator) const
{
    const std::string action = "counting items '" + std::string(annotator) + "' has not labelled";
    return withContext(context(action), [&] {
        Statement query(handle(), "SELECT COUNT(*) FROM comparison_items AS i WHERE NOT EXISTS "
                                  "(SELECT 1 FROM labels AS l WHERE l.item = i.id AND "
                                  "l.annotator = ?)");
        query.bindAll(annotator);
        query.step();
        return query.columnInt64(0);
    });
}

Id Database::setLabel(const Label& label)
{
    const std::string action =
        "labelling item " + std::to_string(label.item) + " as '" + label.annotator + "'";
    return withContext(context(action), [&] {
        if (label.annotator.empty()) throw Error("the annotator is empty");
        Transaction transaction(handle());
        // The foreign key would refuse an unknown item too, but with a message naming no item.
        Statement exists(handle(), "SELECT 1 FROM comparison_items WHERE id = ?");
        exists.bindAll(label.item);
        if (!exists.step()) throw Error("no comparison item " + std::to_string(label.item));
        Statement upsert(handle(),
                         "INSERT INTO labels (item, annotator, judgment, swapped, comment, "
                         "created) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (item, annotator) "
                         "DO UPDATE SET judgment = excluded.judgment, swapped = excluded.swapped, "
                         "comment = excluded.comment, created = excluded.created RETURNING id");
        upsert.bindAll(label.item, label.annotator, judgmentName(label.judgment),
                       int64_t(label.swapped ? 1 : 0), label.comment, label.created);
        upsert.step();
        const Id id = upsert.columnInt64(0);
        upsert.reset();
        transaction.commit();
        return id;
    });
}

bool Database::removeLabel(Id item, std::string_view annotator)
{
    const std::string action = "removing the label of item " + std::to_string(item) + " by '" +
                               std::string(annotator) + "'";
    return withContext(context(action), [&] {
        Transaction transaction(handle());
        Statement remove(handle(), "DELETE FROM labels WHERE item = ? AND annotator = ?");
        remove.bindAll(item, annotator);
        remove.run();
        const bool removed = sqlite3_changes(handle()) > 0;
        transaction.commit();
        return removed;
    });
}

std::optional<Label> Database::label(Id item, std::string_view annotator) const
{
    const std::string action = "reading the label of item " + std::to_string(item) + " by '" +
                               std::string(annotator) + "'";
    return withContext(context(action), [&] {
        Statement query(handle(), "SELECT " + std::string(labelColumns) +
                                      " FROM labels WHERE item = ? AND annotator = ?");
        query.bindAll(item, annotator);
        std::optional<Label> result;
        if (query.step()) result = readLabel(query);
        return result;
    });
}

std::vector<Label> Database::labels() const
{
    return withContext(context("listing labels"), [&] {
        Statement query(handle(), "SELECT " + std::string(labelColumns) +
                                      " FROM labels ORDER BY item, annotator");
        return readAll<Label>(query, readLabel);
    });
}

std::vector<std::string> Database::annotators() const
{
    return withContext(context("listing annotators"), [&] {
        Statement query(handle(), "SELECT DISTINCT annotator FROM labels ORDER BY annotator");
        std::vector<std::string> result;
        while (query.step())
            result.emplace_back(query.columnText(0));
        return result;
    });
}

} // namespace rlhf::store
