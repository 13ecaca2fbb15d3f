// A prepared SQLite statement with bound parameters (RAII over sqlite3_stmt), plus execute()
// for parameterless SQL scripts. The building block of Database; nothing outside core/store
// sees SQL. Errors become rlhf::Error carrying SQLite's message and the statement text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace rlhf::store {

// Runs one or more ';'-separated SQL statements that take no parameters and return no rows.
void execute(sqlite3* db, std::string_view sql);

class Statement {
public:
    // Prepares `sql` on `db`, which must outlive this statement.
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are 1-based, as in SQLite. Text and blobs are copied at bind time.
    void bind(int index, int64_t value);
    void bind(int index, int value) { bind(index, static_cast<int64_t>(value)); }
    void bind(int index, double value);
    void bind(int index, std::string_view text);
    void bind(int index, const std::string& text) { bind(index, std::string_view(text)); }
    void bind(int index, const char* text) { bind(index, std::string_view(text)); }
    void bind(int index, std::nullptr_t);
    void bindBlob(int index, std::span<const std::byte> bytes);
    template <typename T> void bind(int index, const std::optional<T>& value)
    {
        if (value) {
            bind(index, *value);
        } else {
            bind(index, nullptr);
        }
    }
    // Binds `values` to parameters 1, 2, ... in order.
    template <typename... Values> void bindAll(const Values&... values)
    {
        int index = 0;
        (bind(++index, values), ...);
    }

    // Advances to the next row: true when a row is available, false when done.
    bool step();
    // Steps a statement that returns no rows (INSERT, UPDATE, ...), then resets it for reuse.
    void run();
    // Makes the statement ready to run again; bindings are kept until rebound.
    void reset();

    // Columns of the current row, 0-based. Text views are valid until the next step or reset.
    bool isNull(int column) const;
    int64_t columnInt64(int column) const;
    double columnDouble(int column) const;
    std::string_view columnText(int column) const;
    std::span<const std::byte> columnBlob(int column) const;
    std::optional<int64_t> columnOptionalInt64(int column) const;
    std::optional<double> columnOptionalDouble(int column) const;

private:
    std::string failure(std::string_view action) const;
    [[noreturn]] void fail(std::string_view action) const;

    sqlite3* m_db = nullptr;             // not owned
    sqlite3_stmt* m_statement = nullptr; // owned; finalized in the destructor
};

} // namespace rlhf::store
