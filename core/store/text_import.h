// Importing documents from plain text and JSONL files into a dataset of the project database.
// Bad rows are not fatal: each goes to the rejected table with its file, line, field and reason,
// and the import goes on. Other formats and the field mapping of the import wizard are not here.
#pragma once

#include "core/store/records.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace rlhf::store {

class Database;

enum class TextUnit {
    Line,      // each non-blank line is a document
    Paragraph, // blank-line separated blocks are documents (lines joined with '\n')
    File,      // the whole file is one document
};

struct PlainTextImportOptions {
    TextUnit unit = TextUnit::Line; // what one document is, e.g. Line for one-sentence-per-line
    size_t batchDocuments = 10000;  // documents per database transaction, e.g. 10000
};

struct JsonlImportOptions {
    std::string textField = "text"; // the string field of each object that holds the document
    size_t batchDocuments = 10000;  // documents per database transaction, e.g. 10000
};

struct ImportResult {
    int64_t imported = 0; // documents added to the dataset
    int64_t rejected = 0; // rows added to the rejected table
};

// Both read the file memory-mapped, accept LF or CRLF line ends (stored as LF), skip a UTF-8
// byte order mark and blank lines, and commit in batches: after an I/O or database error the
// batches already committed stay. Invalid UTF-8 rejects the row (the whole paragraph or file in
// those units) with the line of the first bad byte.
ImportResult importPlainText(Database& database, Id dataset, const std::filesystem::path& file,
                             const PlainTextImportOptions& options = {});
// One JSON object per line; rejected: invalid UTF-8, invalid JSON, not an object, the text
// field missing, not a string, or blank.
ImportResult importJsonl(Database& database, Id dataset, const std::filesystem::path& file,
                         const JsonlImportOptions& options = {});

} // namespace rlhf::store
