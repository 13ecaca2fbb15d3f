// Cuts one top-level JSON array (possibly gigabytes) into its elements without parsing it
// whole: a byte scan that tracks strings, escapes and nesting depth finds where each element
// ends, and each element is then parsed alone. Memory is bounded by the largest element.
#pragma once

#include "core/data/readers/json_row.h"
#include "core/data/readers/line_reader.h"

#include <string>

namespace rlhf::data {

class JsonArrayScanner {
public:
    JsonArrayScanner(ByteSource& source, size_t maxElementBytes);

    struct Element {
        JsonRowBytes bytes;  // valid until the next call
        int64_t line = 0;    // line of the element's first byte
        std::string problem; // non-empty: this element could not be cut out (bytes = head)
    };
    // The next element or problem; false at the end of the array. After a problem that
    // leaves the array unreadable (truncation, not an array) the next call returns false.
    bool next(Element& element);
    ByteSource& source() { return m_input.source(); }

private:
    bool skipSpace(); // false at the end of the input
    InputBuffer m_input;
    size_t m_maxElementBytes;
    int64_t m_line = 1;
    bool m_started = false, m_done = false;
    std::string m_head;
};

} // namespace rlhf::data
