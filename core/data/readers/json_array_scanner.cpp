// The element scan: a small state machine over the buffer, resumed after each refill.
#include "core/data/readers/json_array_scanner.h"

namespace rlhf::data {

JsonArrayScanner::JsonArrayScanner(ByteSource& source, size_t maxElementBytes)
    : m_input(source), m_maxElementBytes(maxElementBytes)
{
}

bool JsonArrayScanner::skipSpace()
{
    for (;;) {
        while (m_input.size() > 0) {
            const char c = *m_input.data();
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return true;
            if (c == '\n') ++m_line;
            m_input.consume(1);
        }
        if (!m_input.more()) return false;
    }
}

bool JsonArrayScanner::next(Element& element)
{
    element.problem.clear();
    if (m_done) return false;
    if (!m_started) {
        if (!skipSpace()) { // an empty file holds no array and no rows
            m_done = true;
            return false;
        }
        m_started = true;
        if (*m_input.data() != '[') {
            m_done = true;
            element.line = m_line;
            element.problem =
                "not a JSON array: the file starts with '" + std::string(1, *m_input.data()) + "'";
            m_head.assign(m_input.data(), std::min(m_input.size(), kProblemRawBytes));
            element.bytes = {m_head.data(), m_head.size(), nullptr};
            return true;
        }
        m_input.consume(1);
    }
    if (!skipSpace()) {
        m_done = true;
        element.line = m_line;
        element.problem = "truncated JSON array: no closing ']'";
        element.bytes = {};
        m_input.source().noteDamagedLine(m_line, {});
        return true;
    }
    if (*m_input.data() == ']') {
        m_input.consume(1);
        m_done = true;
        return false;
    }
    element.line = m_line;
    int depth = 0;
    bool inString = false, escaped = false, tooLong = false;
    size_t pos = 0;         // scan position from m_input.data()
    int64_t newlines = 0;   // inside the element so far
    uint64_t discarded = 0; // bytes of an over-long element already dropped
    for (;;) {
        const char* data = m_input.data();
        const size_t size = m_input.size();
        for (; pos < size; ++pos) {
            const char c = data[pos];
            if (c == '\n') ++newlines;
            if (inString) {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"')
                    inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (depth == 0) break; // the array's closing bracket
                --depth;
            } else if (c == ',' && depth == 0) {
                break;
            }
        }
        if (pos < size) {
            const char end = data[pos];
            m_line += newlines;
            if (tooLong) {
                element.problem = "element longer than " + std::to_string(m_maxElementBytes) +
                                  " bytes (" + std::to_string(discarded + pos) + ")";
                element.bytes = {m_head.data(), m_head.size(), nullptr};
            } else {
                size_t length = pos;
                while (length > 0 && (data[length - 1] == ' ' || data[length - 1] == '\n' ||
                                      data[length - 1] == '\r' || data[length - 1] == '\t'))
                    --length;
                element.bytes = {data, length, data + size + kBufferPadding};
            }
            m_input.consume(pos + 1);
            if (end != ',')
                m_done = true; // ']' (a '}' here is malformed: the element's parse says so)
            return true;
        }
        if (!tooLong && pos > m_maxElementBytes) {
            tooLong = true;
            m_head.assign(data, kProblemRawBytes);
        }
        if (tooLong) { // keep the state, drop the bytes
            discarded += pos;
            m_input.discard();
            pos = 0;
        }
        if (!m_input.more()) {
            if (!tooLong && depth == 0 && !inString && !isBlank({m_input.data(), pos})) {
                // A complete element with the array cut right after it: deliver it; the
                // next call reports the missing ']'.
                const char* data = m_input.data();
                size_t length = pos;
                while (length > 0 && isBlank({data + length - 1, 1}))
                    --length;
                element.bytes = {data, length, data + m_input.size() + kBufferPadding};
                m_input.consume(pos);
                m_line += newlines;
                return true;
            }
            m_done = true;
            m_line += newlines;
            element.problem = "truncated JSON array: this element is incomplete";
            if (!tooLong) m_head.assign(m_input.data(), std::min(m_input.size(), kProblemRawBytes));
            m_input.source().noteDamagedLine(element.line, m_head);
            element.bytes = {m_head.data(), m_head.size(), nullptr};
            return true;
        }
    }
}

} // namespace rlhf::data
