// The decoded bytes of a ByteSource in one reusable, padded buffer (InputBuffer), and the lines
// cut from it (LineReader): 1-based line numbers, LF or CRLF, a UTF-8 byte-order mark dropped,
// NUL bytes kept, and a line longer than the limit skipped without ever being held whole. A
// last line that a damaged compressed stream cut off is not a line: it is noted in the source's
// StreamDamage instead.
#pragma once

#include "core/data/readers/byte_source.h"

#include <string>
#include <string_view>
#include <vector>

namespace rlhf::data {

// Bytes that a parser reading straight from the buffer (simdjson) may touch past the data.
constexpr size_t kBufferPadding = 64;

class InputBuffer {
public:
    explicit InputBuffer(ByteSource& source, size_t initialCapacity = 4u << 20);
    // The unconsumed bytes; at least kBufferPadding readable bytes follow data() + size().
    const char* data() const { return m_buffer.data() + m_begin; }
    size_t size() const { return m_end - m_begin; }
    void consume(size_t n) { m_begin += n; }
    // Reads more bytes behind the unconsumed ones (moving them to the front, growing the
    // buffer when they fill it); false at the end of the input. Pointers into it go stale.
    bool more();
    bool eof() const { return m_eof; } // the source is drained (bytes may remain here)
    // Drops everything unconsumed: for skipping through an over-long row.
    void discard() { m_begin = m_end; }
    ByteSource& source() { return m_source; }

private:
    ByteSource& m_source;
    std::vector<char> m_buffer; // data capacity + kBufferPadding
    size_t m_begin = 0, m_end = 0;
    bool m_eof = false;
    bool m_started = false; // the byte-order mark is looked for once, at the start
};

struct Line {
    std::string_view text; // without the line end; valid until the next call
    int64_t number = 0;    // 1-based
    bool tooLong = false;  // longer than the limit: `text` is only its first 4 KiB
    uint64_t length = 0;   // the full length in bytes, also when tooLong
};

class LineReader {
public:
    LineReader(ByteSource& source, size_t maxLineBytes);
    // The next line; false at the end. A last line without a line end is still a line.
    bool next(Line& line);
    // The padded buffer behind the last line: data from line.text.data() to here is readable.
    const char* readableEnd() const { return m_input.data() + m_input.size() + kBufferPadding; }
    ByteSource& source() { return m_input.source(); }
    int64_t linesRead() const { return m_number; }

private:
    InputBuffer m_input;
    size_t m_maxLineBytes;
    size_t m_scanned = 0; // bytes of the pending line already searched for '\n'
    int64_t m_number = 0;
    std::string m_head; // first bytes of an over-long line, for the problem report
};

} // namespace rlhf::data
