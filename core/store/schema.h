// The project database schema: its version number and the ordered migrations that build it.
// A database's version is SQLite's user_version pragma; version 0 is an empty file. Each
// migration runs in its own transaction together with the version bump, so a crash between
// migrations leaves a consistent older version that the next open carries forward.
#pragma once

#include <span>
#include <string_view>

struct sqlite3;

namespace rlhf::store {

struct Migration {
    int version;              // user_version after this migration ran: 1, 2, ...
    std::string_view summary; // one line for logs and errors
    std::string_view sql;     // the DDL/DML script
};

// Migrations in order: element i takes version i to version i + 1.
std::span<const Migration> migrations();

// The version this build reads and writes: the last migration's.
int currentSchemaVersion();

// Reads user_version.
int schemaVersion(sqlite3* db);

// Applies the migrations after the database's version. Throws when the database is newer than
// this build (opening it could corrupt data that a later version wrote).
void migrate(sqlite3* db);

} // namespace rlhf::store
