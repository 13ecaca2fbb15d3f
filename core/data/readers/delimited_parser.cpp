// The CSV state machine, fed line by line; the field being built survives across lines while
// a quote is open.
#include "core/data/readers/delimited_parser.h"

namespace rlhf::data {

DelimitedParser::DelimitedParser(ByteSource& source, char delimiter, size_t maxRowBytes)
    : m_lines(source, maxRowBytes), m_delimiter(delimiter), m_maxRowBytes(maxRowBytes)
{
}

bool DelimitedParser::next(Row& row)
{
    Line line;
    do {
        if (!m_lines.next(line)) return false;
    } while (!line.tooLong && line.text.empty());
    row.fields.clear();
    row.problem.clear();
    row.line = line.number;
    row.raw = rawExcerpt(line.text);
    if (line.tooLong) {
        row.problem = "row longer than " + std::to_string(m_maxRowBytes) + " bytes (" +
                      std::to_string(line.length) + ")";
        return true;
    }
    std::string field;
    bool inQuotes = false, quoted = false;
    size_t rowBytes = 0;
    int64_t quoteLine = 0;
    for (;;) {
        const std::string_view text = line.text;
        rowBytes += text.size() + 1;
        for (size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if (inQuotes) {
                if (c != '"') {
                    field += c;
                } else if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    inQuotes = false;
                }
            } else if (c == m_delimiter) {
                row.fields.push_back(std::move(field));
                field.clear();
                quoted = false;
            } else if (c == '"' && field.empty() && !quoted) {
                inQuotes = quoted = true;
                quoteLine = line.number;
            } else {
                field += c; // text after a closing quote, or a stray quote: kept as Python does
            }
        }
        if (!inQuotes) break;
        if (rowBytes > m_maxRowBytes) {
            row.problem = "row longer than " + std::to_string(m_maxRowBytes) + " bytes";
            return true;
        }
        if (!m_lines.next(line)) {
            row.line = quoteLine;
            row.problem = "unclosed quote: the quoted field starting on line " +
                          std::to_string(quoteLine) + " runs to the end of the file";
            return true;
        }
        if (line.tooLong) {
            row.problem = "row longer than " + std::to_string(m_maxRowBytes) + " bytes";
            return true;
        }
        field += '\n'; // the line end inside quotes is part of the field
    }
    row.fields.push_back(std::move(field));
    return true;
}

} // namespace rlhf::data
