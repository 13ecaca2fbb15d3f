// CSV and TSV rows per RFC 4180 as Python's csv module writes them (either delimiter): quoted
// fields, doubled quotes, line ends inside quotes. A row may span lines; its line number is
// the line it starts on. A quote that never closes must not swallow the rows after it: a quoted
// field that runs over line ends is taken as unclosed, and the lines after the one it opened on
// are read again as rows, when it
//   - runs past maxQuotedLines lines or maxRowBytes bytes, or to the end of the file;
//   - closes with text other than a delimiter after the closing quote ("a\nb"c);
//   - leaves its row with another field count than the header (see expectFields).
// The row it opened in is then one problem naming the line the quote opened on.
#pragma once

#include "core/data/readers/line_reader.h"

#include <deque>
#include <string>
#include <vector>

namespace rlhf::data {

class DelimitedParser {
public:
    DelimitedParser(ByteSource& source, char delimiter, size_t maxRowBytes,
                    size_t maxQuotedLines = ReadOptions{}.maxQuotedLines);

    struct Row {
        std::vector<std::string> fields;
        int64_t line = 0;
        std::string problem; // non-empty: the row could not be read (fields are incomplete)
        std::string raw;     // the row's first bytes, for a problem report
    };
    // The next non-blank row; false at the end of the input.
    bool next(Row& row);
    // The header's field count: a row spanning lines with another count has an unclosed quote.
    void expectFields(size_t count) { m_expectedFields = count; }
    ByteSource& source() { return m_lines.source(); }

private:
    // A line kept while a quote is open, to be read again if the quote proves unclosed.
    struct HeldLine {
        std::string text;
        int64_t number = 0;
        bool tooLong = false;
        uint64_t length = 0;
    };
    bool nextLine(Line& line); // lines given back by an unclosed quote first
    // Makes `row` the problem of an unclosed quote opened on `quoteLine`, giving the held lines
    // after that line back to be read again; returns true (the row is delivered).
    bool unclosedQuote(Row& row, int64_t quoteLine, const std::string& why);

    LineReader m_lines;
    char m_delimiter;
    size_t m_maxRowBytes;
    size_t m_maxQuotedLines;
    size_t m_expectedFields = 0;  // 0: unknown (the header is being read)
    std::vector<HeldLine> m_held; // the lines after the current row's first one
    std::deque<HeldLine> m_replay;
    HeldLine m_replayed; // the replayed line being parsed
};

} // namespace rlhf::data
