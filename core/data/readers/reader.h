// Reading records from files in every common layout, streaming: memory stays bounded by the
// largest single row, not by the file (except where a corpus format needs an index: see
// FileFormat). Decompression (gzip, zstd) is transparent. A bad row becomes a ReadProblem with
// file, line and field, and reading goes on with the next row.
#pragma once

#include "core/data/record.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace rlhf::data {

enum class FileFormat {
    Auto,          // detect from the name and the first bytes
    Text,          // plain text, cut by TextUnit
    Jsonl,         // one JSON value per line
    JsonArray,     // one top-level JSON array of objects
    Csv,           // RFC 4180, comma separated, first row is the header
    Tsv,           // tab separated, first row is the header
    Cornell,       // Cornell Movie-Dialogs: movie_conversations.txt + movie_lines.txt beside it
    StackExchange, // a Stack Exchange dump's Posts.xml: question -> accepted answer
    Reddit,        // Reddit comment dump (JSONL): parent comment -> reply
};

enum class Compression { Auto, None, Gzip, Zstd };

enum class TextUnit {
    Line,      // each non-blank line is a record
    Paragraph, // blank-line separated blocks are records
    File,      // the whole file is one record
};

// How the fields of one row become a Record.
enum class RecordShape {
    Auto,       // detect from the field names of the first rows
    Text,       // one string field (mapping "text")
    Alpaca,     // instruction / input / output -> user (instruction + "\n\n" + input), assistant
    ShareGpt,   // conversations: [{from: human|gpt|system, value}]
    Messages,   // OpenAI messages: [{role, content}]
    Preference, // prompt / chosen / rejected (strings, or message lists as in UltraFeedback)
    HhRlhf,     // chosen / rejected "\n\nHuman: ...\n\nAssistant: ..." transcripts
};

// Canonical field -> the name it has in the file, for the fields a shape reads: "text",
// "instruction", "input", "output", "conversations", "messages", "prompt", "chosen",
// "rejected". Unmapped fields use their canonical name. A mapped field missing from a row is a
// ReadProblem naming that field.
using FieldMapping = std::map<std::string, std::string>;

std::string_view fileFormatName(FileFormat format);  // "auto", "text", "jsonl", "json", "csv", ...
std::string_view recordShapeName(RecordShape shape); // "auto", "text", "alpaca", "sharegpt", ...
FileFormat parseFileFormat(std::string_view word);   // throw rlhf::Error on unknown words
RecordShape parseRecordShape(std::string_view word);

struct ReadOptions {
    FileFormat format = FileFormat::Auto;
    Compression compression = Compression::Auto;
    TextUnit unit = TextUnit::Line;        // for FileFormat::Text
    RecordShape shape = RecordShape::Auto; // for the JSON and CSV formats
    FieldMapping mapping;
    size_t maxRowBytes = 256u << 20; // a longer row is a ReadProblem, e.g. 256 MiB
    // CSV / TSV: a quoted field running over more lines than this is taken as an unclosed
    // quote (its row is a ReadProblem, the lines after it are read again as rows). Real
    // multi-line cells (paragraphs, code) stay well under it; e.g. 1000.
    size_t maxQuotedLines = 1000;
};

// What detectFormat found: enough for the import wizard to show it and for readRecords to run.
struct Detection {
    FileFormat format = FileFormat::Text;
    Compression compression = Compression::None;
    RecordShape shape = RecordShape::Text;
    RecordKind kind = RecordKind::Text;
    std::vector<std::string> fields; // top-level field names seen in the first rows
    std::string explanation;         // e.g. "JSONL (first 20 lines are JSON objects), ShareGPT"
    // Non-empty when the file is not text at all, e.g. "binary data, not text (97% of ...)":
    // readRecords then reads nothing from it and reports one ReadProblem saying so.
    std::string binary;
};

// Looks at the name and the first 64 KiB (decompressed). Options that are not Auto are kept.
Detection detectFormat(const std::filesystem::path& file, const ReadOptions& options = {});

// Receives what readRecords finds, in file order.
class RecordSink {
public:
    virtual ~RecordSink() = default;
    virtual bool record(Record&& record) = 0; // false cancels the read
    virtual void problem(ReadProblem&& problem) = 0;
    // Bytes of the (compressed) input consumed so far and its size; false cancels.
    virtual bool progress(uint64_t bytesDone, uint64_t bytesTotal)
    {
        (void)bytesDone, (void)bytesTotal;
        return true;
    }
};

struct ReadSummary {
    int64_t records = 0;  // passed to RecordSink::record
    int64_t problems = 0; // passed to RecordSink::problem
    uint64_t bytes = 0;   // input bytes consumed
    bool cancelled = false;
};

// Reads the whole file. Throws rlhf::Error (with the file name) only when the file as a whole
// cannot be read: missing or unreadable. Everything else is a ReadProblem: a bad row; a binary
// file (one problem, no records); a compressed stream cut short or corrupt (the rows before
// the damage are records, the damage one problem naming its byte offset and the cut line).
ReadSummary readRecords(const std::filesystem::path& file, const ReadOptions& options,
                        RecordSink& sink);

// The first rows as a table of raw field values (strings; nested values as compact JSON), for
// the wizard's preview: columns are the fields in first-seen order.
struct PreviewTable {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows; // rows[i][j] is column j of row i, "" if absent
};
PreviewTable previewTable(const std::filesystem::path& file, const ReadOptions& options,
                          size_t maxRows);

} // namespace rlhf::data
