// The whitespace step: CRLF and lone CR -> LF, each line trimmed, runs of spaces and tabs ->
// one space, at most one blank line in a row (3+ newlines -> 2), the whole text trimmed.
// One pass into a buffer as large as the input (the output is never longer), then a compare,
// so already-clean text costs a scan and a memcmp and is not rewritten.
#include "core/data/cleaning/step.h"

#include <cstring>

namespace rlhf::data::cleaning {

namespace {

class WhitespaceStep final : public FieldStep {
protected:
    bool edit(std::string& value, std::string&) override
    {
        const size_t n = value.size();
        m_scratch.resize(n);
        const char* in = value.data();
        char* const begin = m_scratch.data();
        char* out = begin;
        int pendingNewlines = 0;   // line breaks seen since the last visible character
        bool pendingSpace = false; // spaces or tabs seen since the last visible character
        for (size_t i = 0; i < n; ++i) {
            const char c = in[i];
            if (c == ' ' || c == '\t') {
                pendingSpace = true;
                continue;
            }
            if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < n && in[i + 1] == '\n') ++i;
                ++pendingNewlines;
                pendingSpace = false; // trailing spaces of the line end here
                continue;
            }
            if (out != begin) {
                if (pendingNewlines > 0) {
                    *out++ = '\n';
                    if (pendingNewlines > 1) *out++ = '\n';
                } else if (pendingSpace) {
                    *out++ = ' ';
                }
            }
            pendingNewlines = 0;
            pendingSpace = false; // leading spaces of a line are dropped with the newline
            *out++ = c;
        }
        const size_t length = static_cast<size_t>(out - begin);
        if (length == n && std::memcmp(begin, in, n) == 0) return false;
        m_scratch.resize(length);
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
