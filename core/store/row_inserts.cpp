#include "core/store/row_inserts.h"

#include "core/store/statement.h"

namespace rlhf::store {

int64_t insertDocuments(sqlite3* db, Id dataset, std::span<const Document> documents)
{
    Statement next(db, "SELECT COALESCE(MAX(ordinal) + 1, 0) FROM documents WHERE dataset = ?");
    next.bindAll(dataset);
    next.step();
    const int64_t first = next.columnInt64(0);
    if (documents.empty()) return first;
    int64_t ordinal = first;
    Statement insert(db, "INSERT INTO documents "
                         "(dataset, ordinal, text, source_file, source_line, split) "
                         "VALUES (?, ?, ?, ?, ?, ?)");
    for (const Document& document : documents) {
        insert.bindAll(dataset, ordinal++, document.text, document.sourceFile, document.sourceLine,
                       document.split);
        insert.run();
    }
    return first;
}

void insertRejected(sqlite3* db, Id dataset, std::span<const RejectedRow> rows)
{
    if (rows.empty()) return;
    Statement insert(db, "INSERT INTO rejected_rows (dataset, source_file, source_line, field, "
                         "reason, raw, step, duplicate_of, document, split) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const RejectedRow& row : rows) {
        insert.bindAll(dataset, row.sourceFile, row.sourceLine, row.field, row.reason, nullptr,
                       row.step, row.duplicateOf, row.document, row.split);
        insert.bindBlob(6, std::as_bytes(std::span(row.raw)));
        insert.run();
    }
}

} // namespace rlhf::store
