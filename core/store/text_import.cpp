// Plain text (line, paragraph, whole file) and JSONL import: split the mapped file into rows,
// validate, and hand documents and rejected rows to the database in batches.
#include "core/store/text_import.h"

#include "core/store/database.h"
#include "core/store/mapped_file.h"
#include "core/store/utf8.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <string_view>
#include <vector>

namespace rlhf::store {

namespace {

constexpr size_t maxRawBytes = 64 * 1024; // bytes of a rejected row kept for the user to see

// Collects documents and rejected rows and writes them a batch at a time.
class ImportBatch {
public:
    ImportBatch(Database& database, Id dataset, std::string sourceFile, size_t batchDocuments)
        : m_database(database), m_dataset(dataset), m_sourceFile(std::move(sourceFile)),
          m_batchDocuments(batchDocuments > 0 ? batchDocuments : 1)
    {
        m_documents.reserve(m_batchDocuments);
    }

    void addDocument(std::string text, int64_t line)
    {
        m_documents.push_back({0, std::move(text), m_sourceFile, line});
        if (m_documents.size() >= m_batchDocuments) flush();
    }

    void reject(int64_t line, std::string field, std::string reason, std::string_view raw)
    {
        m_rejected.push_back({.sourceFile = m_sourceFile,
                              .sourceLine = line,
                              .field = std::move(field),
                              .reason = std::move(reason),
                              .raw = std::string(raw.substr(0, maxRawBytes))});
        if (m_rejected.size() >= m_batchDocuments) flush();
    }

    // Writes what is pending; returns the totals so far.
    ImportResult finish()
    {
        flush();
        return m_result;
    }

private:
    void flush()
    {
        if (!m_documents.empty()) m_database.addDocuments(m_dataset, m_documents);
        if (!m_rejected.empty()) m_database.addRejected(m_dataset, m_rejected);
        m_result.imported += static_cast<int64_t>(m_documents.size());
        m_result.rejected += static_cast<int64_t>(m_rejected.size());
        m_documents.clear();
        m_rejected.clear();
    }

    Database& m_database;
    Id m_dataset;
    std::string m_sourceFile;
    size_t m_batchDocuments;
    std::vector<Document> m_documents;
    std::vector<RejectedRow> m_rejected;
    ImportResult m_result;
};

// The file's text without a leading UTF-8 byte order mark.
std::string_view fileText(const MappedFile& file)
{
    std::string_view text(reinterpret_cast<const char*>(file.bytes().data()), file.size());
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    return text;
}

// Calls visit(lineNumber, line) for each line, 1-based, without its LF or CRLF ending.
template <typename Visit> void forEachLine(std::string_view text, Visit&& visit)
{
    int64_t lineNumber = 0;
    while (!text.empty()) {
        const void* newline = std::memchr(text.data(), '\n', text.size());
        const size_t length =
            newline ? static_cast<size_t>(static_cast<const char*>(newline) - text.data())
                    : text.size();
        std::string_view line = text.substr(0, length);
        if (line.ends_with('\r')) line.remove_suffix(1);
        visit(++lineNumber, line);
        text.remove_prefix(newline ? length + 1 : length);
    }
}

bool isBlank(std::string_view line)
{
    return line.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

std::string invalidUtf8Reason(size_t byte)
{
    return "invalid UTF-8 at byte " + std::to_string(byte + 1) + " of the line";
}

// Lines in Line or Paragraph units; a paragraph is kept with the numbers of its lines so that
// an invalid byte is reported on its own line.
void importLines(ImportBatch& batch, std::string_view text, TextUnit unit)
{
    std::string paragraph;
    int64_t firstLine = 0;
    int64_t badLine = 0; // first line of the paragraph with invalid UTF-8, 0 when none
    size_t badByte = 0;
    auto endParagraph = [&] {
        if (firstLine == 0) return;
        if (badLine != 0) {
            batch.reject(badLine, "", invalidUtf8Reason(badByte), paragraph);
        } else {
            batch.addDocument(std::move(paragraph), firstLine);
        }
        paragraph.clear();
        firstLine = badLine = 0;
    };
    forEachLine(text, [&](int64_t lineNumber, std::string_view line) {
        if (isBlank(line)) {
            endParagraph();
            return;
        }
        const std::optional<size_t> invalid = findInvalidUtf8(line);
        if (unit == TextUnit::Line) {
            if (invalid) {
                batch.reject(lineNumber, "", invalidUtf8Reason(*invalid), line);
            } else {
                batch.addDocument(std::string(line), lineNumber);
            }
            return;
        }
        if (firstLine == 0) {
            firstLine = lineNumber;
        } else {
            paragraph += '\n';
        }
        paragraph += line;
        if (invalid && badLine == 0) {
            badLine = lineNumber;
            badByte = *invalid;
        }
    });
    endParagraph();
}

// The whole file as one document, CRLF stored as LF.
void importWholeFile(ImportBatch& batch, std::string_view text)
{
    if (isBlank(text)) return;
    std::string document;
    document.reserve(text.size());
    int64_t badLine = 0;
    size_t badByte = 0;
    forEachLine(text, [&](int64_t lineNumber, std::string_view line) {
        if (lineNumber > 1) document += '\n';
        document += line;
        const std::optional<size_t> invalid = badLine == 0 ? findInvalidUtf8(line) : std::nullopt;
        if (invalid) {
            badLine = lineNumber;
            badByte = *invalid;
        }
    });
    if (text.ends_with('\n')) document += '\n';
    if (badLine != 0) {
        batch.reject(badLine, "", invalidUtf8Reason(badByte), document);
    } else {
        batch.addDocument(std::move(document), 1);
    }
}

// nlohmann's messages start with "[json.exception.parse_error.101] ": keep the readable part.
std::string parseErrorReason(const nlohmann::json::parse_error& error)
{
    std::string_view message = error.what();
    if (const size_t end = message.find("] "); message.starts_with('[') && end != message.npos) {
        message.remove_prefix(end + 2);
    }
    return "invalid JSON: " + std::string(message);
}

void importJsonLine(ImportBatch& batch, int64_t lineNumber, std::string_view line,
                    const std::string& field)
{
    if (const std::optional<size_t> invalid = findInvalidUtf8(line)) {
        batch.reject(lineNumber, "", invalidUtf8Reason(*invalid), line);
        return;
    }
    nlohmann::json row;
    try {
        row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& error) {
        batch.reject(lineNumber, "", parseErrorReason(error), line);
        return;
    }
    if (!row.is_object()) {
        batch.reject(lineNumber, "", std::string("not a JSON object but ") + row.type_name(), line);
        return;
    }
    const auto value = row.find(field);
    if (value == row.end()) {
        batch.reject(lineNumber, field, "missing field '" + field + "'", line);
    } else if (!value->is_string()) {
        batch.reject(lineNumber, field,
                     "field '" + field + "' is " + value->type_name() + ", expected a string",
                     line);
    } else if (isBlank(value->get_ref<const std::string&>())) {
        batch.reject(lineNumber, field, "field '" + field + "' is blank", line);
    } else {
        batch.addDocument(std::move(value->get_ref<std::string&>()), lineNumber);
    }
}

} // namespace

ImportResult importPlainText(Database& database, Id dataset, const std::filesystem::path& file,
                             const PlainTextImportOptions& options)
{
    return withContext("importing " + file.string(), [&] {
        const MappedFile mapped(file);
        ImportBatch batch(database, dataset, file.string(), options.batchDocuments);
        if (options.unit == TextUnit::File) {
            importWholeFile(batch, fileText(mapped));
        } else {
            importLines(batch, fileText(mapped), options.unit);
        }
        return batch.finish();
    });
}

ImportResult importJsonl(Database& database, Id dataset, const std::filesystem::path& file,
                         const JsonlImportOptions& options)
{
    return withContext("importing " + file.string(), [&] {
        const MappedFile mapped(file);
        ImportBatch batch(database, dataset, file.string(), options.batchDocuments);
        forEachLine(fileText(mapped), [&](int64_t lineNumber, std::string_view line) {
            if (!isBlank(line)) importJsonLine(batch, lineNumber, line, options.textField);
        });
        return batch.finish();
    });
}

} // namespace rlhf::store
