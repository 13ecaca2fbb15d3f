// A write transaction as an RAII guard: begun in the constructor, rolled back by the destructor
// unless commit() ran. The outermost guard takes the write lock at once (BEGIN IMMEDIATE, so a
// busy database waits for the busy timeout instead of failing later); nested guards are savepoints.
#pragma once

struct sqlite3;

namespace rlhf::store {

class Transaction {
public:
    explicit Transaction(sqlite3* db); // `db` must outlive the guard
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

private:
    sqlite3* m_db;         // not owned
    bool m_nested = false; // a savepoint inside an enclosing transaction
    bool m_done = false;   // committed (or rolled back)
};

} // namespace rlhf::store
