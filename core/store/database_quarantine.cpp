// Database: the import quarantine — rows a reader could not use and records the cleaning
// pipeline removed, searchable and (when they have a document form) restorable.
#include "core/store/database.h"

#include "core/store/row_inserts.h"
#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

namespace rlhf::store {

namespace {

constexpr std::string_view rejectedColumns =
    "id, source_file, source_line, field, reason, raw, step, duplicate_of, document, split, "
    "restored_as";

RejectedRow readRejected(const Statement& query)
{
    RejectedRow row;
    row.id = query.columnInt64(0);
    row.sourceFile = query.columnText(1);
    row.sourceLine = query.columnInt64(2);
    row.field = query.columnText(3);
    row.reason = query.columnText(4);
    const std::span<const std::byte> raw = query.columnBlob(5);
    row.raw.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
    row.step = query.columnText(6);
    row.duplicateOf = query.columnOptionalInt64(7);
    if (!query.isNull(8)) row.document = std::string(query.columnText(8));
    row.split = query.columnText(9);
    row.restoredAs = query.columnOptionalInt64(10);
    return row;
}

// The WHERE clause of a filtered query; parameters: dataset, step, step, pattern x5.
// instr() on lower() is a plain substring test: no LIKE wildcards to escape in user text.
constexpr std::string_view filterClause =
    " FROM rejected_rows WHERE dataset = ?1"
    " AND (?2 = '' OR step = ?2)"
    " AND (?3 OR restored_as IS NULL)"
    " AND (?4 = '' OR instr(lower(reason), ?4) OR instr(lower(field), ?4)"
    "      OR instr(lower(source_file), ?4) OR instr(lower(CAST(raw AS TEXT)), ?4)"
    "      OR instr(lower(COALESCE(document, '')), ?4))";

std::string lowered(std::string text)
{
    for (char& c : text) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return text;
}

void bindFilter(Statement& query, Id dataset, const RejectedFilter& filter)
{
    query.bindAll(dataset, filter.step, filter.includeRestored ? 1 : 0, lowered(filter.text));
}

} // namespace

void Database::addRejected(Id dataset, std::span<const RejectedRow> rows)
{
    withContext(context("adding rejected rows to dataset " + std::to_string(dataset)), [&] {
        Transaction transaction(handle());
        insertRejected(handle(), dataset, rows);
        transaction.commit();
    });
}

std::vector<RejectedRow> Database::rejectedRows(Id dataset) const
{
    return searchRejected(dataset, {}, 0, -1);
}

int64_t Database::rejectedCount(Id dataset) const
{
    return countRejected(dataset, {});
}

std::vector<RejectedRow> Database::searchRejected(Id dataset, const RejectedFilter& filter,
                                                  int64_t offset, int64_t limit) const
{
    return withContext(context("reading rejected rows"), [&] {
        Statement query(handle(), "SELECT " + std::string(rejectedColumns) +
                                      std::string(filterClause) +
                                      " ORDER BY id LIMIT ?5 OFFSET ?6");
        bindFilter(query, dataset, filter);
        query.bind(5, limit);
        query.bind(6, offset);
        std::vector<RejectedRow> result;
        while (query.step())
            result.push_back(readRejected(query));
        return result;
    });
}

int64_t Database::countRejected(Id dataset, const RejectedFilter& filter) const
{
    return withContext(context("counting rejected rows"), [&] {
        Statement query(handle(), "SELECT COUNT(*)" + std::string(filterClause));
        bindFilter(query, dataset, filter);
        query.step();
        return query.columnInt64(0);
    });
}

int64_t Database::restoreRejected(Id row)
{
    return withContext(context("restoring rejected row " + std::to_string(row)), [&] {
        Transaction transaction(handle());
        Statement query(handle(), "SELECT " + std::string(rejectedColumns) +
                                      ", dataset FROM rejected_rows WHERE id = ?");
        query.bindAll(row);
        if (!query.step()) throw Error("no such row");
        const RejectedRow rejected = readRejected(query);
        const Id dataset = query.columnInt64(11);
        if (rejected.restoredAs) {
            throw Error("already restored as document " + std::to_string(*rejected.restoredAs));
        }
        if (!rejected.document) {
            throw Error("it could not be read (" + rejected.reason + "); fix " +
                        rejected.sourceFile + ":" + std::to_string(rejected.sourceLine) +
                        " and import it again");
        }
        const Document document{.text = *rejected.document,
                                .sourceFile = rejected.sourceFile,
                                .sourceLine = rejected.sourceLine,
                                .split = rejected.split};
        const int64_t ordinal = insertDocuments(handle(), dataset, std::span(&document, 1));
        Statement mark(handle(), "UPDATE rejected_rows SET restored_as = ? WHERE id = ?");
        mark.bindAll(ordinal, row);
        mark.run();
        transaction.commit();
        return ordinal;
    });
}

} // namespace rlhf::store
