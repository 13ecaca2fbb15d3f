// The whitespace step: CRLF and lone CR -> LF, each line trimmed, runs of spaces and tabs ->
// one space, at most one blank line in a row (3+ newlines -> 2), the whole text trimmed.
// Already-normal text is recognised in one read-only pass, 64 bytes a round; other text is
// rewritten in one pass into a reused buffer as large as the input (the output is never longer).
#include "core/data/cleaning/byte_block.h"
#include "core/data/cleaning/step.h"

#include <string_view>

namespace rlhf::data::cleaning {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// True when `text` is already in normal form: no tab or CR, no space before white space or after
// a newline, no third newline in a row, nothing white at either end. Checks 64 bytes a round
// on bit masks (bit i = byte i), each rule written as "this byte, given the ones before it",
// with the previous block's last bits carried in.
bool isNormal(std::string_view text)
{
    const size_t n = text.size();
    if (n == 0) return true;
    if (isSpace(text[0]) || isSpace(text[n - 1])) return false;
    uint64_t lastSpaces = 0, lastNewlines = 0; // the previous block's masks
    return forEachBlock(text.data(), n, 'x', [&](const ByteBlock& block) {
        const uint64_t space = block.equal(' '), newline = block.equal('\n');
        if ((block.atMost('\r') & ~newline) != 0 && (block.equal('\t') | block.equal('\r')) != 0)
            return false;
        const uint64_t afterSpace = (space << 1) | (lastSpaces >> 63);
        const uint64_t afterNewline = (newline << 1) | (lastNewlines >> 63);
        const uint64_t twoAfterNewline = (newline << 2) | (lastNewlines >> 62);
        lastSpaces = space;
        lastNewlines = newline;
        const uint64_t broken = ((space | newline) & afterSpace) | (space & afterNewline) |
                                (newline & afterNewline & twoAfterNewline);
        return broken == 0;
    });
}

class WhitespaceStep final : public FieldStep {
protected:
    bool edit(std::string& value, std::string&) override
    {
        if (isNormal(value)) return false;
        // Often only the ends are off (a text ending in a newline): trimming them is enough.
        const size_t first = value.find_first_not_of(" \t\r\n");
        const size_t last = value.find_last_not_of(" \t\r\n");
        if (first == std::string::npos) {
            value.clear();
            return true;
        }
        if (isNormal(std::string_view(value).substr(first, last + 1 - first))) {
            value.erase(last + 1);
            value.erase(0, first);
            return true;
        }
        const size_t n = value.size();
        m_scratch.resize(n);
        const char* in = value.data();
        char* const begin = m_scratch.data();
        char* out = begin;
        int pendingNewlines = 0; // line breaks seen since the last visible character
        int pendingSpace = 0;    // 1 when spaces or tabs were seen since then
        for (size_t i = 0; i < n; ++i) {
            const char c = in[i];
            if (static_cast<unsigned char>(c) > ' ' || !isSpace(c)) { // visible: the hot path
                if (pendingNewlines | pendingSpace) {
                    if (out != begin) {
                        if (pendingNewlines > 0) {
                            *out++ = '\n';
                            if (pendingNewlines > 1) *out++ = '\n';
                        } else {
                            *out++ = ' ';
                        }
                    }
                    // Leading spaces of a line go with the newline before them.
                    pendingNewlines = pendingSpace = 0;
                }
                *out++ = c;
            } else if (c == ' ' || c == '\t') {
                pendingSpace = 1;
            } else {
                if (c == '\r' && i + 1 < n && in[i + 1] == '\n') ++i;
                ++pendingNewlines;
                pendingSpace = 0; // trailing spaces of the line end here
            }
        }
        m_scratch.resize(static_cast<size_t>(out - begin));
        value.swap(m_scratch);
        return true;
    }
};

} // namespace

std::unique_ptr<Step> makeWhitespaceStep()
{
    return std::make_unique<WhitespaceStep>();
}

} // namespace rlhf::data::cleaning
