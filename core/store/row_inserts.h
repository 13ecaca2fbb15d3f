// The INSERTs that several Database methods share (a plain batch of documents, an import batch,
// a restore), run inside the caller's transaction. Internal to core/store.
#pragma once

#include "core/store/records.h"

#include <span>

struct sqlite3;

namespace rlhf::store {

// Appends after the dataset's last ordinal; returns the ordinal given to the first document.
int64_t insertDocuments(sqlite3* db, Id dataset, std::span<const Document> documents);
void insertRejected(sqlite3* db, Id dataset, std::span<const RejectedRow> rows);

} // namespace rlhf::store
