// The CSV state machine, fed line by line; the field being built survives across lines while
// a quote is open.
#include "core/data/readers/delimited_parser.h"

#include <algorithm>

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
        // Whole runs of plain bytes are copied at once: only quotes and delimiters need a
        // decision, and memchr finds them far faster than a byte loop.
        size_t i = 0;
        while (i < text.size()) {
            if (inQuotes) {
                const size_t quote = text.find('"', i);
                if (quote == std::string_view::npos) {
                    field.append(text.substr(i));
                    i = text.size();
                } else if (quote + 1 < text.size() && text[quote + 1] == '"') {
                    field.append(text.substr(i, quote + 1 - i)); // a doubled quote: one quote
                    i = quote + 2;
                } else {
                    field.append(text.substr(i, quote - i));
                    inQuotes = false;
                    i = quote + 1;
                }
                continue;
            }
            const char c = text[i];
            if (c == m_delimiter) {
                row.fields.push_back(std::move(field));
                field.clear();
                quoted = false;
                ++i;
            } else if (c == '"' && field.empty() && !quoted) {
                inQuotes = quoted = true;
                quoteLine = line.number;
                ++i;
            } else {
                // Up to the next delimiter, kept as it is: text after a closing quote or a
                // stray quote mid-field stays part of the field, as Python's csv keeps it.
                const size_t end = std::min(text.find(m_delimiter, i), text.size());
                field.append(text.substr(i, end - i));
                i = end;
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
