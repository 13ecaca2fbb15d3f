// Plain text cut into records by line, by blank-line-separated paragraph, or whole. Bytes are
// passed through as found: invalid UTF-8 is the cleaning pipeline's utf8 step to judge.
#include "core/data/readers/read_context.h"

#include <utility>

namespace rlhf::data {
namespace {

bool blank(std::string_view text)
{
    return text.find_first_not_of(" \t\r\f\v") == std::string_view::npos;
}

} // namespace

void readTextUnits(ReadContext& context, ByteSource& source)
{
    const TextUnit unit = context.options.unit;
    LineReader lines(source, context.options.maxRowBytes);
    Line line;
    Record pending; // the paragraph or file being gathered
    int64_t pendingLine = 0;
    int64_t sinceProgress = 0;
    bool skipping = false; // inside a paragraph (or file) already reported as too long
    const auto flush = [&]() {
        if (pendingLine == 0) return true;
        pending.kind = RecordKind::Text;
        const int64_t at = pendingLine;
        pendingLine = 0;
        return context.record(std::exchange(pending, Record{}), at);
    };
    while (lines.next(line)) {
        if ((++sinceProgress & 1023) == 0 && !context.progress(source)) return;
        if (line.tooLong) {
            context.problem(line.number, "text",
                            "line longer than " + std::to_string(context.options.maxRowBytes) +
                                " bytes (" + std::to_string(line.length) + ")",
                            line.text);
            continue;
        }
        if (unit == TextUnit::Line) {
            if (blank(line.text)) continue;
            Record record;
            record.text = line.text;
            if (!context.record(std::move(record), line.number)) return;
            continue;
        }
        if (unit == TextUnit::Paragraph && blank(line.text)) {
            skipping = false;
            if (!flush()) return;
            continue;
        }
        if (skipping) continue;
        if (pendingLine == 0)
            pendingLine = line.number;
        else
            pending.text += '\n';
        if (pending.text.size() + line.text.size() > context.options.maxRowBytes) {
            context.problem(pendingLine, "text",
                            "text longer than " + std::to_string(context.options.maxRowBytes) +
                                " bytes",
                            pending.text);
            pending = Record{};
            pendingLine = 0;
            skipping = true; // the rest of this paragraph (or file) belongs to it
            continue;
        }
        pending.text += line.text;
    }
    if (pendingLine > 0 && !blank(pending.text)) {
        if (source.damage()) {
            // The paragraph (or file) a damaged stream cut short is not a whole record.
            context.problem(pendingLine, "text",
                            std::string(unit == TextUnit::File ? "the file" : "this paragraph") +
                                " is cut short by the damaged stream",
                            pending.text);
        } else {
            flush();
        }
    }
    context.progress(source);
}

} // namespace rlhf::data
