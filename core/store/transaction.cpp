// Write transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK, or a savepoint when nested.
#include "core/store/transaction.h"

#include "core/store/statement.h"

#include <sqlite3.h>

namespace rlhf::store {

Transaction::Transaction(sqlite3* db) : m_db(db), m_nested(sqlite3_get_autocommit(db) == 0)
{
    execute(m_db, m_nested ? "SAVEPOINT nested" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction()
{
    if (m_done) return;
    // A destructor must not throw: a failed rollback leaves SQLite to roll back on close.
    const char* sql = m_nested ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK";
    sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr);
}

void Transaction::commit()
{
    execute(m_db, m_nested ? "RELEASE nested" : "COMMIT");
    m_done = true;
}

} // namespace rlhf::store
