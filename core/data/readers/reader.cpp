// The public face of the readers: format and shape names, detection from a file's name and
// first 64 KiB, and readRecords / previewTable dispatching to the per-format readers.
#include "core/data/readers/reader.h"

#include "core/data/readers/delimited_parser.h"
#include "core/data/readers/json_array_scanner.h"
#include "core/data/readers/json_row.h"
#include "core/data/readers/read_context.h"
#include "core/data/readers/record_shapes.h"
#include "core/util/error.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace rlhf::data {
namespace {

namespace fs = std::filesystem;

constexpr size_t kSampleBytes = 64u << 10; // what detection looks at, decompressed
constexpr size_t kSampleRows = 20;         // rows whose field names detection collects

constexpr std::array<std::pair<FileFormat, std::string_view>, 9> kFormatNames = {{
    {FileFormat::Auto, "auto"},
    {FileFormat::Text, "text"},
    {FileFormat::Jsonl, "jsonl"},
    {FileFormat::JsonArray, "json"},
    {FileFormat::Csv, "csv"},
    {FileFormat::Tsv, "tsv"},
    {FileFormat::Cornell, "cornell"},
    {FileFormat::StackExchange, "stackexchange"},
    {FileFormat::Reddit, "reddit"},
}};
constexpr std::array<std::pair<RecordShape, std::string_view>, 7> kShapeNames = {{
    {RecordShape::Auto, "auto"},
    {RecordShape::Text, "text"},
    {RecordShape::Alpaca, "alpaca"},
    {RecordShape::ShareGpt, "sharegpt"},
    {RecordShape::Messages, "messages"},
    {RecordShape::Preference, "preference"},
    {RecordShape::HhRlhf, "hh-rlhf"},
}};

// Detection plus what readRecords needs beyond it: the mapping with the text field resolved.
struct Inspection {
    Detection detection;
    FieldMapping mapping;
};

std::string lowerName(const fs::path& file)
{
    std::string name = file.filename().string();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const std::string_view suffix : {".gz", ".zst", ".zstd"})
        if (name.ends_with(suffix)) name.resize(name.size() - suffix.size());
    return name;
}

char firstNonSpace(std::string_view text)
{
    const size_t at = text.find_first_not_of(" \t\r\n");
    return at == std::string_view::npos ? '\0' : text[at];
}

// Bytes of an invalid UTF-8 sequence starting at `text[i]`, or 0 for a valid one (whose length
// then is in `length`). A sequence cut by the end of `text` counts as valid.
size_t invalidUtf8At(std::string_view text, size_t i, size_t& length)
{
    const auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
    const unsigned char lead = byte(i);
    length = lead < 0x80                    ? 1
             : lead >= 0xC2 && lead <= 0xDF ? 2
             : lead >= 0xE0 && lead <= 0xEF ? 3
             : lead >= 0xF0 && lead <= 0xF4 ? 4
                                            : 0;
    if (length == 0) return 1;
    for (size_t k = 1; k < length && i + k < text.size(); ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return k;
    return 0;
}

// Why `sample` (a file's first decompressed bytes) is not text, or "" when it is: a UTF-16
// byte-order mark, or more than a quarter of the bytes being NUL, other control characters or
// invalid UTF-8. Text with a stray NUL or some Latin-1 stays far below that (the control and
// utf8 cleaning steps repair it); executables, archives, images and UTF-16 are far above.
std::string binaryReason(std::string_view sample)
{
    if (sample.starts_with("\xFF\xFE") || sample.starts_with("\xFE\xFF"))
        return "UTF-16 text, not UTF-8 (convert it first, e.g. iconv -f UTF-16 -t UTF-8)";
    size_t odd = 0;
    for (size_t i = 0, length = 1; i < sample.size(); i += length) {
        const auto c = static_cast<unsigned char>(sample[i]);
        if (const size_t bad = invalidUtf8At(sample, i, length)) {
            odd += bad;
            length = bad;
        } else if (c == 0 || c == 0x7F || (c < 0x20 && !std::strchr("\t\n\r\f\v\x1b", c))) {
            ++odd;
        }
    }
    if (sample.empty() || odd * 4 <= sample.size()) return "";
    std::string why = "binary data, not text (" + std::to_string(odd * 100 / sample.size()) +
                      "% of the first " + std::to_string(sample.size()) +
                      " bytes are NUL, control characters or invalid UTF-8";
    if (const size_t nul = sample.find('\0'); nul != std::string_view::npos) {
        why += "; the first NUL at byte " + std::to_string(nul) + ", line " +
               std::to_string(1 + std::count(sample.begin(), sample.begin() + nul, '\n'));
    }
    return why + ")";
}

// A damaged compressed stream as one problem: where it broke, and from which line rows are lost.
void reportDamage(ReadContext& context, const std::string& file, const ByteSource& source)
{
    const std::optional<StreamDamage>& damage = source.damage();
    if (!damage || context.stopped()) return;
    std::string reason = damage->reason + " at byte " + std::to_string(damage->offset) + " of " +
                         std::to_string(source.bytesTotal()) + " (" + damage->detail + "); ";
    if (damage->decoded == 0)
        reason += "nothing before it could be decoded";
    else if (damage->line > 0)
        reason += "the rows before line " + std::to_string(damage->line) +
                  " were read, the rest of the file is lost";
    else
        reason += std::to_string(damage->decoded) + " bytes before it were read";
    context.problemIn(file, damage->line, "", std::move(reason), damage->cutRow);
}

// The two files of the Cornell corpus from the folder or either file's path.
std::pair<fs::path, fs::path> cornellFiles(const fs::path& given)
{
    const fs::path folder = fs::is_directory(given) ? given : given.parent_path();
    return {folder / "movie_conversations.txt", folder / "movie_lines.txt"};
}

void addField(std::vector<std::string>& fields, const std::string& name)
{
    if (std::find(fields.begin(), fields.end(), name) == fields.end()) fields.push_back(name);
}

// Field names of the sample's first rows, and whether a first "chosen" looks like HH-RLHF.
void sampleFields(FileFormat format, std::string_view sample, bool cut, const FieldMapping& mapping,
                  std::vector<std::string>& fields, bool& chosenIsTranscript)
{
    const RowFields names(mapping);
    const std::string& chosenName = names.name(Field::Chosen);
    JsonRowParser parser;
    std::vector<std::pair<std::string, std::string>> columns;
    std::string reason;
    const auto collect = [&](const JsonRowBytes& row) {
        if (!parser.columns(row, columns, reason)) return;
        for (const auto& [name, value] : columns) {
            addField(fields, name);
            if (name == chosenName && value.starts_with("\n\nHuman:")) chosenIsTranscript = true;
        }
    };
    auto source = memoryByteSource(sample, Compression::None);
    if (format == FileFormat::JsonArray) {
        JsonArrayScanner scanner(*source, kSampleBytes);
        JsonArrayScanner::Element element;
        for (size_t n = 0; n < kSampleRows && scanner.next(element); ++n)
            if (element.problem.empty()) collect(element.bytes);
    } else if (format == FileFormat::Csv || format == FileFormat::Tsv) {
        DelimitedParser parser(*source, format == FileFormat::Csv ? ',' : '\t', kSampleBytes);
        DelimitedParser::Row row;
        if (parser.next(row) && row.problem.empty()) fields = row.fields;
    } else {
        // A sample cut at 64 KiB ends in a partial line: leave it out.
        if (cut) sample = sample.substr(0, sample.rfind('\n') + 1);
        auto lineSource = memoryByteSource(sample, Compression::None);
        LineReader lines(*lineSource, kSampleBytes);
        Line line;
        for (size_t n = 0; n < kSampleRows && lines.next(line);) {
            if (isBlank(line.text)) continue;
            collect({line.text.data(), line.text.size(), lines.readableEnd()});
            ++n;
        }
    }
}

Inspection inspect(const fs::path& file, const ReadOptions& options)
{
    Inspection result;
    Detection& d = result.detection;
    result.mapping = options.mapping;
    std::string why;
    FileFormat format = options.format;
    std::string sample;
    bool cut = false;
    if (fs::is_directory(file)) {
        if (!fs::exists(file / "movie_conversations.txt"))
            throw Error(file.string() + ": a folder, and not the Cornell corpus (no "
                                        "movie_conversations.txt in it)");
        format = FileFormat::Cornell;
        why = "Cornell Movie-Dialogs (folder with movie_conversations.txt)";
    } else {
        auto source = openByteSource(file, options.compression);
        d.compression = source->compression();
        sample.resize(kSampleBytes);
        size_t size = 0;
        while (size < sample.size()) {
            const size_t got = source->read(sample.data() + size, sample.size() - size);
            if (got == 0) break;
            size += got;
        }
        cut = size == sample.size();
        sample.resize(size);
        d.binary = binaryReason(sample);
    }
    const std::string name = lowerName(file);
    const std::string ext = fs::path(name).extension().string();
    const char first =
        firstNonSpace(std::string_view(sample).substr(sample.starts_with("\xEF\xBB\xBF") ? 3 : 0));
    if (format == FileFormat::Auto) {
        if (name.starts_with("movie_conversations") || name.starts_with("movie_lines") ||
            sample.find(" +++$+++ ") != std::string::npos) {
            format = FileFormat::Cornell;
            why = "Cornell Movie-Dialogs (\" +++$+++ \" separated lines)";
        } else if (ext == ".jsonl" || ext == ".ndjson" || (ext == ".json" && first != '[')) {
            format = FileFormat::Jsonl;
            why = "JSONL (name " + ext + ")";
        } else if (ext == ".json" || (ext != ".txt" && first == '[')) {
            format = FileFormat::JsonArray;
            why = "JSON array (starts with '[')";
        } else if (ext == ".csv") {
            format = FileFormat::Csv;
            why = "CSV (name .csv)";
        } else if (ext == ".tsv" || ext == ".tab") {
            format = FileFormat::Tsv;
            why = "TSV (name " + ext + ")";
        } else if (ext == ".xml" || (first == '<' && sample.find("<posts") != std::string::npos)) {
            format = FileFormat::StackExchange;
            why = "Stack Exchange Posts.xml";
        } else if (ext != ".txt" && first == '{') {
            format = FileFormat::Jsonl;
            why = "JSONL (first line is a JSON object)";
        } else {
            format = FileFormat::Text;
            why = "plain text";
        }
    } else {
        why = std::string(fileFormatName(format)) + " (as chosen)";
    }
    bool chosenIsTranscript = false;
    if (format == FileFormat::Jsonl || format == FileFormat::JsonArray ||
        format == FileFormat::Csv || format == FileFormat::Tsv || format == FileFormat::Reddit)
        sampleFields(format, sample, cut, options.mapping, d.fields, chosenIsTranscript);
    const auto hasField = [&](const char* field) {
        return std::find(d.fields.begin(), d.fields.end(), field) != d.fields.end();
    };
    if (options.format == FileFormat::Auto && format == FileFormat::Jsonl &&
        hasField("parent_id") && hasField("body") && hasField("id")) {
        format = FileFormat::Reddit;
        why = "Reddit comment dump (JSONL with id, parent_id, body)";
    }
    d.format = format;
    if (format == FileFormat::Text) {
        d.shape = RecordShape::Text;
    } else if (format == FileFormat::Cornell || format == FileFormat::StackExchange ||
               format == FileFormat::Reddit) {
        d.shape = RecordShape::Messages; // the nearest shape: a dialogue
    } else if (options.shape != RecordShape::Auto) {
        d.shape = options.shape;
        why += ", " + std::string(recordShapeName(options.shape)) + " (as chosen)";
    } else {
        ShapeGuess guess = guessShape(d.fields, options.mapping, chosenIsTranscript);
        d.shape = guess.shape;
        result.mapping = std::move(guess.mapping);
        why += ", " + guess.explanation;
    }
    d.kind = format == FileFormat::Text ? RecordKind::Text : kindOfShape(d.shape);
    if (d.compression != Compression::None)
        why += d.compression == Compression::Gzip ? ", gzip-compressed" : ", zstd-compressed";
    d.explanation = std::move(why);
    return result;
}

// Collects the first records for previews of formats that have no raw columns.
class FirstRecords : public RecordSink {
public:
    explicit FirstRecords(size_t limit) : m_limit(limit) {}
    bool record(Record&& record) override
    {
        records.push_back(std::move(record));
        return records.size() < m_limit;
    }
    void problem(ReadProblem&&) override {}
    std::vector<Record> records;

private:
    size_t m_limit;
};

void addCell(PreviewTable& table, std::vector<std::string>& row, const std::string& column,
             std::string value)
{
    auto found = std::find(table.columns.begin(), table.columns.end(), column);
    if (found == table.columns.end()) {
        table.columns.push_back(column);
        found = table.columns.end() - 1;
    }
    const size_t index = found - table.columns.begin();
    if (row.size() <= index) row.resize(index + 1);
    row[index] = std::move(value);
}

} // namespace

std::string_view fileFormatName(FileFormat format)
{
    for (const auto& [value, name] : kFormatNames)
        if (value == format) return name;
    return "auto";
}

std::string_view recordShapeName(RecordShape shape)
{
    for (const auto& [value, name] : kShapeNames)
        if (value == shape) return name;
    return "auto";
}

FileFormat parseFileFormat(std::string_view word)
{
    for (const auto& [value, name] : kFormatNames)
        if (name == word) return value;
    throw Error("unknown file format '" + std::string(word) +
                "' (auto, text, jsonl, json, csv, tsv, cornell, stackexchange, reddit)");
}

RecordShape parseRecordShape(std::string_view word)
{
    for (const auto& [value, name] : kShapeNames)
        if (name == word) return value;
    throw Error("unknown record shape '" + std::string(word) +
                "' (auto, text, alpaca, sharegpt, messages, preference, hh-rlhf)");
}

Detection detectFormat(const fs::path& file, const ReadOptions& options)
{
    return inspect(file, options).detection;
}

ReadSummary readRecords(const fs::path& file, const ReadOptions& options, RecordSink& sink)
{
    const Inspection inspection = inspect(file, options);
    const Detection& d = inspection.detection;
    ReadContext context(file.string(), options, sink);
    if (d.format == FileFormat::Cornell) {
        const auto [conversationsFile, linesFile] = cornellFiles(file);
        auto conversations = openByteSource(conversationsFile, options.compression);
        auto lines = openByteSource(linesFile, options.compression);
        ReadContext cornell(conversationsFile.string(), options, sink);
        readCornell(cornell, *conversations, *lines, linesFile.string());
        reportDamage(cornell, linesFile.string(), *lines);
        reportDamage(cornell, cornell.file, *conversations);
        return cornell.summary;
    }
    auto source = openByteSource(file, options.compression);
    if (!d.binary.empty()) {
        std::string head(4096, '\0');
        head.resize(source->read(head.data(), head.size()));
        context.problem(1, "", d.binary + ": nothing read from it", head);
        context.summary.bytes = source->bytesTotal();
        return context.summary;
    }
    switch (d.format) {
    case FileFormat::Jsonl:
        readJsonl(context, *source, d.shape, inspection.mapping);
        break;
    case FileFormat::JsonArray:
        readJsonArray(context, *source, d.shape, inspection.mapping);
        break;
    case FileFormat::Csv:
    case FileFormat::Tsv:
        readDelimited(context, *source, d.format == FileFormat::Csv ? ',' : '\t', d.shape,
                      inspection.mapping);
        break;
    case FileFormat::StackExchange:
        readStackExchange(context, *source);
        break;
    case FileFormat::Reddit:
        readReddit(context, *source);
        break;
    default:
        readTextUnits(context, *source);
        break;
    }
    reportDamage(context, context.file, *source);
    return context.summary;
}

PreviewTable previewTable(const fs::path& file, const ReadOptions& options, size_t maxRows)
{
    PreviewTable table;
    if (maxRows == 0) return table;
    const Detection d = detectFormat(file, options);
    const bool jsonRows = d.format == FileFormat::Jsonl || d.format == FileFormat::JsonArray;
    if (jsonRows || d.format == FileFormat::Csv || d.format == FileFormat::Tsv) {
        auto source = openByteSource(file, options.compression);
        JsonRowParser parser;
        std::vector<std::pair<std::string, std::string>> columns;
        std::string reason;
        const auto addJson = [&](const JsonRowBytes& bytes) {
            std::vector<std::string> row;
            if (parser.columns(bytes, columns, reason))
                for (auto& [name, value] : columns)
                    addCell(table, row, name, std::move(value));
            else
                addCell(table, row, "(problem)", reason);
            table.rows.push_back(std::move(row));
        };
        if (d.format == FileFormat::Jsonl) {
            LineReader lines(*source, options.maxRowBytes);
            Line line;
            while (table.rows.size() < maxRows && lines.next(line))
                if (!line.tooLong && !isBlank(line.text))
                    addJson({line.text.data(), line.text.size(), lines.readableEnd()});
        } else if (d.format == FileFormat::JsonArray) {
            JsonArrayScanner scanner(*source, options.maxRowBytes);
            JsonArrayScanner::Element element;
            while (table.rows.size() < maxRows && scanner.next(element))
                if (element.problem.empty()) addJson(element.bytes);
        } else {
            DelimitedParser parser(*source, d.format == FileFormat::Csv ? ',' : '\t',
                                   options.maxRowBytes, options.maxQuotedLines);
            DelimitedParser::Row row;
            bool header = true;
            while (table.rows.size() < maxRows && parser.next(row)) {
                if (!row.problem.empty()) continue;
                if (header) {
                    table.columns = row.fields;
                    parser.expectFields(row.fields.size());
                    header = false;
                    continue;
                }
                row.fields.resize(std::max(row.fields.size(), table.columns.size()));
                table.rows.push_back(row.fields);
            }
        }
    } else {
        FirstRecords first(maxRows);
        readRecords(file, options, first);
        for (const Record& record : first.records) {
            std::vector<std::string> row;
            if (record.kind == RecordKind::Text) addCell(table, row, "text", record.text);
            for (size_t i = 0; i < record.messages.size(); ++i)
                addCell(table, row, "turn " + std::to_string(i + 1),
                        record.messages[i].role + ": " + record.messages[i].content);
            table.rows.push_back(std::move(row));
        }
    }
    for (auto& row : table.rows)
        row.resize(table.columns.size());
    return table;
}

} // namespace rlhf::data
