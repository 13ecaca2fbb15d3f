// CSV and TSV rows per RFC 4180 as Python's csv module writes them (either delimiter): quoted
// fields, doubled quotes, line ends inside quotes. A row may span lines; its line number is
// the line it starts on.
#pragma once

#include "core/data/readers/line_reader.h"

#include <string>
#include <vector>

namespace rlhf::data {

class DelimitedParser {
public:
    DelimitedParser(ByteSource& source, char delimiter, size_t maxRowBytes);

    struct Row {
        std::vector<std::string> fields;
        int64_t line = 0;
        std::string problem; // non-empty: the row could not be read (fields are incomplete)
        std::string raw;     // the row's first bytes, for a problem report
    };
    // The next non-blank row; false at the end of the input.
    bool next(Row& row);
    ByteSource& source() { return m_lines.source(); }

private:
    LineReader m_lines;
    char m_delimiter;
    size_t m_maxRowBytes;
};

} // namespace rlhf::data
