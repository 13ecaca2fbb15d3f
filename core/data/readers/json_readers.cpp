// JSONL and JSON-array readers: rows cut by LineReader or JsonArrayScanner, parsed in place by
// simdjson, shaped into Records. The parser, the row fields and the record are reused: a sink
// that does not move a record's strings away gets them back with their capacity, so the
// steady state allocates nothing per row.
#include "core/data/readers/json_array_scanner.h"
#include "core/data/readers/json_row.h"
#include "core/data/readers/read_context.h"

namespace rlhf::data {
namespace {

// Shapes one parsed row and hands it on; false once the sink cancelled.
bool deliver(ReadContext& context, JsonRowParser& parser, const JsonRowBytes& row, int64_t line,
             RecordShape shape, RowFields& fields, Record& record)
{
    std::string field, reason;
    if (!parser.fields(row, fields, field, reason)) {
        context.problem(line, std::move(field), std::move(reason), {row.data, row.size});
        return true;
    }
    if (!buildRecord(shape, fields, record, field, reason)) {
        context.problem(line, std::move(field), std::move(reason), {row.data, row.size});
        return true;
    }
    return context.record(std::move(record), line);
}

} // namespace

void readJsonl(ReadContext& context, ByteSource& source, RecordShape shape,
               const FieldMapping& mapping)
{
    LineReader lines(source, context.options.maxRowBytes);
    JsonRowParser parser;
    RowFields fields(mapping);
    Record record;
    Line line;
    int64_t sinceProgress = 0;
    while (lines.next(line)) {
        if ((++sinceProgress & 1023) == 0 && !context.progress(source)) return;
        if (line.tooLong) {
            context.problem(line.number, "",
                            "row longer than " + std::to_string(context.options.maxRowBytes) +
                                " bytes (" + std::to_string(line.length) + ")",
                            line.text);
            continue;
        }
        if (isBlank(line.text)) continue;
        const JsonRowBytes row{line.text.data(), line.text.size(), lines.readableEnd()};
        if (!deliver(context, parser, row, line.number, shape, fields, record)) return;
    }
    context.progress(source);
}

void readJsonArray(ReadContext& context, ByteSource& source, RecordShape shape,
                   const FieldMapping& mapping)
{
    JsonArrayScanner scanner(source, context.options.maxRowBytes);
    JsonRowParser parser;
    RowFields fields(mapping);
    Record record;
    JsonArrayScanner::Element element;
    int64_t sinceProgress = 0;
    while (scanner.next(element)) {
        if ((++sinceProgress & 1023) == 0 && !context.progress(source)) return;
        if (!element.problem.empty()) {
            context.problem(element.line, "", element.problem,
                            {element.bytes.data, element.bytes.size});
            continue;
        }
        if (!deliver(context, parser, element.bytes, element.line, shape, fields, record)) return;
    }
    context.progress(source);
}

} // namespace rlhf::data
