// The CSV state machine, fed line by line; the field being built survives across lines while
// a quote is open, and those lines are held until the row ends, in case the quote proves
// unclosed and they must be read again as rows.
#include "core/data/readers/delimited_parser.h"

#include <algorithm>

namespace rlhf::data {

DelimitedParser::DelimitedParser(ByteSource& source, char delimiter, size_t maxRowBytes,
                                 size_t maxQuotedLines)
    : m_lines(source, maxRowBytes), m_delimiter(delimiter), m_maxRowBytes(maxRowBytes),
      m_maxQuotedLines(std::max<size_t>(1, maxQuotedLines))
{
}

bool DelimitedParser::nextLine(Line& line)
{
    if (m_replay.empty()) return m_lines.next(line);
    m_replayed = std::move(m_replay.front());
    m_replay.pop_front();
    line.text = m_replayed.text;
    line.number = m_replayed.number;
    line.tooLong = m_replayed.tooLong;
    line.length = m_replayed.length;
    return true;
}

bool DelimitedParser::unclosedQuote(Row& row, int64_t quoteLine, const std::string& why)
{
    const auto after = std::find_if(m_held.begin(), m_held.end(),
                                    [&](const HeldLine& held) { return held.number > quoteLine; });
    m_replay.insert(m_replay.begin(), std::make_move_iterator(after),
                    std::make_move_iterator(m_held.end()));
    m_held.clear();
    row.fields.clear();
    row.problem = "unclosed quote: the quoted field opened on line " + std::to_string(quoteLine) +
                  " " + why + "; the lines after line " + std::to_string(quoteLine) +
                  " are read again as rows";
    return true;
}

bool DelimitedParser::next(Row& row)
{
    Line line;
    do {
        if (!nextLine(line)) return false;
    } while (!line.tooLong && line.text.empty());
    row.fields.clear();
    row.problem.clear();
    row.line = line.number;
    row.raw = rawExcerpt(line.text);
    m_held.clear();
    if (line.tooLong) {
        row.problem = "row longer than " + std::to_string(m_maxRowBytes) + " bytes (" +
                      std::to_string(line.length) + ")";
        return true;
    }
    std::string field;
    bool inQuotes = false, quoted = false;
    size_t rowBytes = 0;
    int64_t quoteLine = 0;     // the line the open (or last) quoted field opened on
    int64_t spanningQuote = 0; // the line of the last quoted field that ran over a line end
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
                    // A quote closed on a later line and followed by text was never the
                    // field's closing quote: the one that opened it was unclosed.
                    const size_t next = text.find_first_not_of(' ', i);
                    if (quoteLine != line.number && next != std::string_view::npos &&
                        text[next] != m_delimiter)
                        return unclosedQuote(row, quoteLine,
                                             "closes on line " + std::to_string(line.number) +
                                                 " with text after the closing quote");
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
        spanningQuote = quoteLine;
        if (m_held.size() >= m_maxQuotedLines)
            return unclosedQuote(row, quoteLine,
                                 "runs past " + std::to_string(m_maxQuotedLines) + " lines");
        if (rowBytes > m_maxRowBytes)
            return unclosedQuote(row, quoteLine,
                                 "runs past " + std::to_string(m_maxRowBytes) + " bytes");
        if (!nextLine(line)) return unclosedQuote(row, quoteLine, "runs to the end of the file");
        m_held.push_back({std::string(line.text), line.number, line.tooLong, line.length});
        if (line.tooLong)
            return unclosedQuote(row, quoteLine,
                                 "runs into line " + std::to_string(line.number) +
                                     ", longer than " + std::to_string(m_maxRowBytes) + " bytes");
        field += '\n'; // the line end inside quotes is part of the field
    }
    row.fields.push_back(std::move(field));
    if (spanningQuote > 0 && m_expectedFields > 0 && row.fields.size() != m_expectedFields) {
        return unclosedQuote(row, spanningQuote,
                             "ends a row of " + std::to_string(row.fields.size()) +
                                 " fields where the header has " +
                                 std::to_string(m_expectedFields));
    }
    m_held.clear();
    return true;
}

} // namespace rlhf::data
