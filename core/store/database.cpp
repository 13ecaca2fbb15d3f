// Database: opening and configuring the connection, datasets, documents and rejected rows.
// Runs, metrics, checkpoints and tokenizers are in database_runs.cpp.
#include "core/store/database.h"

#include "core/store/row_inserts.h"
#include "core/store/schema.h"
#include "core/store/names.h"
#include "core/store/statement.h"
#include "core/store/transaction.h"
#include "core/util/error.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>

namespace rlhf::store {

namespace {

constexpr std::string_view datasetColumns = "id, name, kind, source_path, created, report";

Dataset readDataset(const Statement& row)
{
    Dataset dataset;
    dataset.id = row.columnInt64(0);
    dataset.name = row.columnText(1);
    dataset.kind = parseDatasetKind(row.columnText(2));
    dataset.sourcePath = row.columnText(3);
    dataset.created = row.columnDouble(4);
    dataset.reportJson = row.columnText(5);
    return dataset;
}

void readDocument(const Statement& row, Document& document)
{
    document.ordinal = row.columnInt64(0);
    document.text.assign(row.columnText(1));
    document.sourceFile.assign(row.columnText(2));
    document.sourceLine = row.columnInt64(3);
    document.split.assign(row.columnText(4));
}

enum class Access { ReadWrite, ReadOnly, Immutable };

// How an existing database file can be opened: for writing when the file and its folder (where
// SQLite keeps the WAL and its index) are writable.
Access fileAccess(const std::filesystem::path& file)
{
    const auto folder = std::filesystem::absolute(file).parent_path();
    if (::access(folder.c_str(), W_OK) != 0) return Access::Immutable;
    return ::access(file.c_str(), W_OK) == 0 ? Access::ReadWrite : Access::ReadOnly;
}

// An absolute path as a file: URI path: '%', '?' and '#' escaped.
std::string uriPath(const std::filesystem::path& file)
{
    std::string path;
    for (const char c : std::filesystem::absolute(file).string()) {
        if (c == '%' || c == '?' || c == '#') {
            char escaped[4];
            std::snprintf(escaped, sizeof(escaped), "%%%02X", static_cast<unsigned char>(c));
            path += escaped;
        } else {
            path += c;
        }
    }
    return path;
}

// A database opened for reading cannot be migrated: it must be current already.
void requireCurrentSchema(sqlite3* db)
{
    const int found = schemaVersion(db);
    if (found != currentSchemaVersion())
        throw Error("the project is read-only here and at schema version " + std::to_string(found) +
                    "; this build needs " + std::to_string(currentSchemaVersion()) +
                    ": open it once where it can be written");
}

std::string quoted(std::string_view name)
{
    return "'" + std::string(name) + "'";
}

} // namespace

void Database::Closer::operator()(sqlite3* db) const
{
    sqlite3_close_v2(db);
}

Database::Database(const std::filesystem::path& file, OpenMode mode, const DatabaseOptions& options)
    : m_file(file)
{
    withContext(file.string(), [&] {
        if (mode == OpenMode::ExistingOnly && !std::filesystem::exists(file)) {
            throw Error("no such file");
        }
        // A project the user may not write (a shared, read-only folder) still opens for the
        // commands that only read it. Without a writable folder SQLite cannot make the WAL
        // index beside the file, so the file is opened immutable: nobody can change it there.
        const auto access = mode == OpenMode::ExistingOnly ? fileAccess(file) : Access::ReadWrite;
        int flags = access == Access::ReadWrite ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
        if (mode == OpenMode::CreateIfMissing) flags |= SQLITE_OPEN_CREATE;
        std::string name = file.string();
        if (access == Access::Immutable) {
            flags |= SQLITE_OPEN_URI;
            name = "file:" + uriPath(file) + "?immutable=1";
        }
        sqlite3* db = nullptr;
        const int result = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
        m_db.reset(db); // closed even when opening failed
        if (result != SQLITE_OK) {
            throw Error("cannot open: " + std::string(db ? sqlite3_errmsg(db) : "out of memory"));
        }
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, options.busyTimeoutMs);
        if (readOnly()) {
            execute(db, "PRAGMA foreign_keys = ON");
            requireCurrentSchema(db);
            return;
        }
        if (journalMode() != "wal") {
            // Only takes effect on a new database (before its first table): 16 KiB pages hold
            // a dozen typical documents each, and a bulk import writes a quarter of the pages
            // (and WAL frames, and system calls) that the default 4 KiB would need.
            execute(db, "PRAGMA page_size = 16384");
            Statement wal(db, "PRAGMA journal_mode = WAL");
            if (!wal.step() || wal.columnText(0) != "wal") {
                throw Error("cannot switch to WAL journal mode (is it on a network file system?)");
            }
        }
        // FULL: a transaction that returned is on disk, even after a power cut. Batched writes
        // keep the cost to one fsync per batch.
        execute(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
        migrate(db);
    });
}

Database::~Database() = default;
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;

std::string Database::context(std::string_view action) const
{
    return m_file.string() + ": " + std::string(action);
}

int Database::schemaVersion() const
{
    return store::schemaVersion(handle());
}

bool Database::readOnly() const
{
    return sqlite3_db_readonly(handle(), "main") == 1;
}

std::string Database::journalMode() const
{
    Statement query(handle(), "PRAGMA journal_mode");
    query.step();
    return std::string(query.columnText(0));
}

Id Database::addDataset(std::string_view name, DatasetKind kind, std::string_view sourcePath)
{
    return withContext(context("adding dataset " + quoted(name)), [&] {
        checkName("dataset", name);
        Transaction transaction(handle());
        if (datasetByName(name)) throw Error("a dataset with this name already exists");
        Statement insert(handle(), "INSERT INTO datasets (name, kind, source_path, created) "
                                   "VALUES (?, ?, ?, ?)");
        insert.bindAll(name, datasetKindName(kind), sourcePath, unixSecondsNow());
        insert.run();
        const Id id = sqlite3_last_insert_rowid(handle());
        transaction.commit();
        return id;
    });
}

std::vector<Dataset> Database::datasets() const
{
    return withContext(context("listing datasets"), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(datasetColumns) + " FROM datasets ORDER BY id");
        std::vector<Dataset> result;
        while (query.step())
            result.push_back(readDataset(query));
        return result;
    });
}

std::optional<Dataset> Database::dataset(Id id) const
{
    return withContext(context("reading dataset " + std::to_string(id)), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(datasetColumns) + " FROM datasets WHERE id = ?");
        query.bindAll(id);
        return query.step() ? std::optional(readDataset(query)) : std::nullopt;
    });
}

std::optional<Dataset> Database::datasetByName(std::string_view name) const
{
    return withContext(context("reading dataset " + quoted(name)), [&] {
        Statement query(handle(),
                        "SELECT " + std::string(datasetColumns) + " FROM datasets WHERE name = ?");
        query.bindAll(name);
        return query.step() ? std::optional(readDataset(query)) : std::nullopt;
    });
}

void Database::addDocuments(Id dataset, std::span<const Document> documents)
{
    addImportBatch(dataset, documents, {});
}

void Database::addImportBatch(Id dataset, std::span<const Document> documents,
                              std::span<const RejectedRow> rejected)
{
    withContext(context("adding documents to dataset " + std::to_string(dataset)), [&] {
        Transaction transaction(handle());
        insertDocuments(handle(), dataset, documents);
        insertRejected(handle(), dataset, rejected);
        transaction.commit();
    });
}

int64_t Database::documentCount(Id dataset, std::string_view split) const
{
    return withContext(context("counting documents"), [&] {
        Statement query(handle(), "SELECT COUNT(*) FROM documents WHERE dataset = ? AND split = ?");
        query.bindAll(dataset, split);
        query.step();
        return query.columnInt64(0);
    });
}

void Database::setDatasetReport(Id dataset, std::string_view reportJson)
{
    withContext(context("storing the import report of dataset " + std::to_string(dataset)), [&] {
        Statement update(handle(), "UPDATE datasets SET report = ? WHERE id = ?");
        update.bindAll(reportJson, dataset);
        update.run();
    });
}

std::vector<std::pair<std::string, int64_t>> Database::datasetSourceFiles(Id dataset) const
{
    return withContext(
        context("listing the source files of dataset " + std::to_string(dataset)), [&] {
            Statement query(handle(), "SELECT source_file, COUNT(*) FROM ("
                                      "SELECT source_file FROM documents WHERE dataset = ?1 "
                                      "UNION ALL "
                                      "SELECT source_file FROM rejected_rows WHERE dataset = ?1"
                                      ") GROUP BY source_file ORDER BY source_file");
            query.bindAll(dataset);
            std::vector<std::pair<std::string, int64_t>> files;
            while (query.step())
                files.emplace_back(query.columnText(0), query.columnInt64(1));
            return files;
        });
}

Id Database::lastRejectedId(Id dataset) const
{
    return withContext(context("reading rejected rows"), [&] {
        Statement query(handle(),
                        "SELECT COALESCE(MAX(id), 0) FROM rejected_rows WHERE dataset = ?");
        query.bindAll(dataset);
        query.step();
        return query.columnInt64(0);
    });
}

void Database::removeImportedSince(Id dataset, int64_t firstOrdinal, Id lastRejected)
{
    withContext(context("undoing the import into dataset " + std::to_string(dataset)), [&] {
        Transaction transaction(handle());
        Statement documents(handle(), "DELETE FROM documents WHERE dataset = ? AND ordinal >= ?");
        documents.bindAll(dataset, firstOrdinal);
        documents.run();
        Statement rejected(handle(), "DELETE FROM rejected_rows WHERE dataset = ? AND id > ?");
        rejected.bindAll(dataset, lastRejected);
        rejected.run();
        transaction.commit();
    });
}

void Database::removeDataset(Id dataset)
{
    withContext(context("removing dataset " + std::to_string(dataset)), [&] {
        Transaction transaction(handle());
        // Foreign keys cascade to documents and rejected_rows.
        Statement remove(handle(), "DELETE FROM datasets WHERE id = ?");
        remove.bindAll(dataset);
        remove.run();
        transaction.commit();
    });
}

int64_t Database::documentCount(Id dataset) const
{
    return withContext(context("counting documents"), [&] {
        Statement query(handle(), "SELECT COUNT(*) FROM documents WHERE dataset = ?");
        query.bindAll(dataset);
        query.step();
        return query.columnInt64(0);
    });
}

void Database::forEachDocument(Id dataset, const std::function<void(const Document&)>& visit) const
{
    Statement query(handle(),
                    "SELECT ordinal, text, source_file, source_line, split FROM documents "
                    "WHERE dataset = ? ORDER BY ordinal");
    query.bindAll(dataset);
    Document document; // reused: its strings keep their capacity from row to row
    while (withContext(context("reading documents"), [&] { return query.step(); })) {
        readDocument(query, document);
        visit(document);
    }
}

std::vector<Document> Database::documents(Id dataset, int64_t offset, int64_t limit) const
{
    return withContext(context("reading documents"), [&] {
        Statement query(handle(),
                        "SELECT ordinal, text, source_file, source_line, split FROM documents "
                        "WHERE dataset = ? AND ordinal >= ? ORDER BY ordinal LIMIT ?");
        query.bindAll(dataset, offset, limit);
        std::vector<Document> result;
        while (query.step())
            readDocument(query, result.emplace_back());
        return result;
    });
}

} // namespace rlhf::store
