// Prepared SQLite statements: prepare, bind, step, read columns, finalize.
#include "core/store/statement.h"

#include "core/util/error.h"

#include <sqlite3.h>

#include <utility>

namespace rlhf::store {

namespace {

// Statement text shown in error messages, shortened so a long script stays readable.
std::string excerpt(std::string_view sql)
{
    constexpr size_t maxLength = 120; // characters of SQL quoted in an error message
    std::string text(sql.substr(0, maxLength));
    if (sql.size() > maxLength) text += "...";
    return text;
}

} // namespace

void execute(sqlite3* db, std::string_view sql)
{
    std::string script(sql);
    char* message = nullptr;
    if (sqlite3_exec(db, script.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string reason = message ? message : sqlite3_errmsg(db);
        sqlite3_free(message);
        throw Error("SQL error: " + reason + " (in: " + excerpt(sql) + ")");
    }
}

Statement::Statement(sqlite3* db, std::string_view sql) : m_db(db)
{
    const int result =
        sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_statement, nullptr);
    if (result != SQLITE_OK) {
        throw Error("SQL error: " + std::string(sqlite3_errmsg(db)) +
                    " (preparing: " + excerpt(sql) + ")");
    }
}

Statement::~Statement()
{
    sqlite3_finalize(m_statement);
}

Statement::Statement(Statement&& other) noexcept
    : m_db(other.m_db), m_statement(std::exchange(other.m_statement, nullptr))
{
}

Statement& Statement::operator=(Statement&& other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_statement);
        m_db = other.m_db;
        m_statement = std::exchange(other.m_statement, nullptr);
    }
    return *this;
}

std::string Statement::failure(std::string_view action) const
{
    const char* sql = sqlite3_sql(m_statement);
    return "SQL error: " + std::string(sqlite3_errmsg(m_db)) + " (" + std::string(action) + ": " +
           excerpt(sql ? sql : "") + ")";
}

void Statement::fail(std::string_view action) const
{
    throw Error(failure(action));
}

void Statement::bind(int index, int64_t value)
{
    if (sqlite3_bind_int64(m_statement, index, value) != SQLITE_OK) fail("binding");
}

void Statement::bind(int index, double value)
{
    if (sqlite3_bind_double(m_statement, index, value) != SQLITE_OK) fail("binding");
}

void Statement::bind(int index, std::string_view text)
{
    if (sqlite3_bind_text64(m_statement, index, text.data(), text.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8) != SQLITE_OK) {
        fail("binding");
    }
}

void Statement::bind(int index, std::nullptr_t)
{
    if (sqlite3_bind_null(m_statement, index) != SQLITE_OK) fail("binding");
}

void Statement::bindBlob(int index, std::span<const std::byte> bytes)
{
    // A zero-length blob needs a non-null pointer, or SQLite stores NULL instead.
    static constexpr std::byte empty{};
    const void* data = bytes.empty() ? &empty : bytes.data();
    if (sqlite3_bind_blob64(m_statement, index, data, bytes.size(), SQLITE_TRANSIENT) !=
        SQLITE_OK) {
        fail("binding");
    }
}

bool Statement::step()
{
    const int result = sqlite3_step(m_statement);
    if (result == SQLITE_ROW) return true;
    if (result == SQLITE_DONE) return false;
    fail("running");
}

void Statement::run()
{
    const int result = sqlite3_step(m_statement);
    if (result != SQLITE_DONE && result != SQLITE_ROW) {
        const std::string message = failure("running");
        sqlite3_reset(m_statement); // ready for reuse even after a constraint failure
        throw Error(message);
    }
    sqlite3_reset(m_statement);
}

void Statement::reset()
{
    sqlite3_reset(m_statement);
}

bool Statement::isNull(int column) const
{
    return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
}

int64_t Statement::columnInt64(int column) const
{
    return sqlite3_column_int64(m_statement, column);
}

double Statement::columnDouble(int column) const
{
    return sqlite3_column_double(m_statement, column);
}

std::string_view Statement::columnText(int column) const
{
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, column));
    const int length = sqlite3_column_bytes(m_statement, column);
    return text ? std::string_view(text, static_cast<size_t>(length)) : std::string_view();
}

std::span<const std::byte> Statement::columnBlob(int column) const
{
    const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(m_statement, column));
    const int length = sqlite3_column_bytes(m_statement, column);
    return data ? std::span<const std::byte>(data, static_cast<size_t>(length))
                : std::span<const std::byte>();
}

std::optional<int64_t> Statement::columnOptionalInt64(int column) const
{
    if (isNull(column)) return std::nullopt;
    return columnInt64(column);
}

std::optional<double> Statement::columnOptionalDouble(int column) const
{
    if (isNull(column)) return std::nullopt;
    return columnDouble(column);
}

} // namespace rlhf::store
