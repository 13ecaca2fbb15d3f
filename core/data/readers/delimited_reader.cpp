// CSV / TSV rows into Records: the header names the columns, and the string columns go
// through the same record shapes as JSON fields.
#include "core/data/readers/delimited_parser.h"
#include "core/data/readers/read_context.h"
#include "core/data/readers/record_shapes.h"

#include <algorithm>

namespace rlhf::data {

void readDelimited(ReadContext& context, ByteSource& source, char delimiter, RecordShape shape,
                   const FieldMapping& mapping)
{
    DelimitedParser parser(source, delimiter, context.options.maxRowBytes,
                           context.options.maxQuotedLines);
    DelimitedParser::Row row;
    // The header: the first row that reads. A broken header line is reported and the next
    // row tried, since without names no row can be mapped.
    std::vector<std::string> header;
    while (header.empty()) {
        if (!parser.next(row)) return;
        if (!row.problem.empty()) {
            context.problem(row.line, "", "header: " + row.problem, row.raw);
            continue;
        }
        header = row.fields;
    }
    parser.expectFields(header.size());
    RowFields fields(mapping);
    std::array<int, kFieldCount> column; // column index of each canonical field, or -1
    for (size_t i = 0; i < kFieldCount; ++i) {
        const auto found = std::find(header.begin(), header.end(), fields.names[i]);
        column[i] = found == header.end() ? -1 : static_cast<int>(found - header.begin());
    }
    int64_t sinceProgress = 0;
    while (parser.next(row)) {
        if ((++sinceProgress & 1023) == 0 && !context.progress(source)) return;
        if (!row.problem.empty()) {
            context.problem(row.line, "", row.problem, row.raw);
            continue;
        }
        if (row.fields.size() != header.size()) {
            context.problem(row.line, "",
                            "row has " + std::to_string(row.fields.size()) +
                                " columns, the header has " + std::to_string(header.size()),
                            row.raw);
            continue;
        }
        fields.clear();
        for (size_t i = 0; i < kFieldCount; ++i) {
            if (column[i] < 0) continue;
            fields.values[i].type = FieldValue::Type::String;
            fields.values[i].text = std::move(row.fields[column[i]]);
        }
        Record record;
        std::string field, reason;
        if (!buildRecord(shape, fields, record, field, reason)) {
            context.problem(row.line, std::move(field), std::move(reason), row.raw);
            continue;
        }
        if (!context.record(std::move(record), row.line)) return;
    }
    context.progress(source);
}

} // namespace rlhf::data
