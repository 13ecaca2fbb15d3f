// InputBuffer and LineReader: memchr over a large buffer, no allocation per line.
#include "core/data/readers/line_reader.h"

#include <algorithm>
#include <cstring>

namespace rlhf::data {

namespace {

// An uncompressed input smaller than the requested buffer needs no more than its size: the
// buffer still grows if needed.
size_t fittedCapacity(const ByteSource& source, size_t requested)
{
    if (source.compression() == Compression::None && source.bytesTotal() > 0)
        return std::max<size_t>(4096, std::min<uint64_t>(requested, source.bytesTotal() + 1));
    return requested;
}

} // namespace

InputBuffer::InputBuffer(ByteSource& source, size_t initialCapacity)
    : m_source(source), m_buffer(fittedCapacity(source, initialCapacity) + kBufferPadding)
{
}

bool InputBuffer::more()
{
    if (m_eof) return false;
    const size_t capacity = m_buffer.size() - kBufferPadding;
    if (m_begin > 0) {
        std::memmove(m_buffer.data(), m_buffer.data() + m_begin, m_end - m_begin);
        m_end -= m_begin;
        m_begin = 0;
    }
    if (m_end == capacity) m_buffer.resize(capacity * 2 + kBufferPadding);
    const size_t room = m_buffer.size() - kBufferPadding - m_end;
    const size_t got = m_source.read(m_buffer.data() + m_end, room);
    if (got == 0) {
        m_eof = true;
        return false;
    }
    m_end += got;
    if (!m_started && m_end >= 3) {
        m_started = true;
        if (std::memcmp(m_buffer.data(), "\xEF\xBB\xBF", 3) == 0) m_begin = 3;
    }
    return true;
}

LineReader::LineReader(ByteSource& source, size_t maxLineBytes)
    : m_input(source, std::min<size_t>(4u << 20, maxLineBytes + 1)), m_maxLineBytes(maxLineBytes)
{
}

bool LineReader::next(Line& line)
{
    for (;;) {
        const char* begin = m_input.data();
        const size_t size = m_input.size();
        const void* found = std::memchr(begin + m_scanned, '\n', size - m_scanned);
        if (!found && m_input.eof() && size > 0 && size <= m_maxLineBytes && source().damage()) {
            // A last line without its line end, cut by a damaged stream: not a row. The source
            // keeps it for the problem report.
            source().noteDamagedLine(m_number + 1, {begin, size});
            m_input.consume(size);
            m_scanned = 0;
            return false;
        }
        if (found || (m_input.eof() && size > 0) || size > m_maxLineBytes) {
            const size_t length = found ? static_cast<const char*>(found) - begin : size;
            line.number = ++m_number;
            m_scanned = 0;
            if (length > m_maxLineBytes) {
                // Over the limit: keep its head for the report, then drop bytes until the
                // next line end without storing them.
                m_head.assign(begin, std::min(length, kProblemRawBytes));
                uint64_t total = 0;
                while (!found) {
                    total += m_input.size();
                    m_input.discard();
                    if (!m_input.more()) break;
                    found = std::memchr(m_input.data(), '\n', m_input.size());
                }
                if (found) {
                    const size_t tail = static_cast<const char*>(found) - m_input.data();
                    total += tail;
                    m_input.consume(tail + 1);
                }
                line.text = m_head;
                line.tooLong = true;
                line.length = total;
                return true;
            }
            line.text = {begin, length};
            line.tooLong = false;
            line.length = length;
            if (!line.text.empty() && line.text.back() == '\r') line.text.remove_suffix(1);
            m_input.consume(found ? length + 1 : length);
            return true;
        }
        m_scanned = size;
        if (!m_input.more() && size == 0) {
            if (source().damage()) source().noteDamagedLine(m_number + 1, {});
            return false;
        }
    }
}

} // namespace rlhf::data
