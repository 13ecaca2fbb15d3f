// Reddit comment dumps (one JSON comment per line: id, parent_id "t1_<comment>" or
// "t3_<submission>", body, author): each reply whose parent comment came earlier in the file
// becomes a Chat record, user = the parent's body, assistant = the reply's body.
//
// Memory: an index id -> body of the comments read so far, so it grows with the file (the
// dumps are ordered by time, which puts a parent before its replies). Deleted and removed
// bodies are reported, not indexed.
#include "core/data/readers/json_row.h"
#include "core/data/readers/read_context.h"

#include <algorithm>
#include <array>
#include <unordered_map>

namespace rlhf::data {
namespace {

constexpr std::array<std::string_view, 3> kKeys = {"id", "parent_id", "body"};

} // namespace

void readReddit(ReadContext& context, ByteSource& source)
{
    LineReader lines(source, context.options.maxRowBytes);
    JsonRowParser parser;
    std::unordered_map<std::string, std::string> bodies; // comment id -> body
    std::array<std::string, 3> comment;                  // id, parent_id, body
    std::array<bool, 3> found;
    const std::string &id = comment[0], &parentId = comment[1], &body = comment[2];
    Line line;
    int64_t sinceProgress = 0;
    while (lines.next(line)) {
        if ((++sinceProgress & 1023) == 0 && !context.progress(source)) return;
        if (line.tooLong) {
            context.problem(line.number, "", "row too long", line.text);
            continue;
        }
        if (isBlank(line.text)) continue;
        std::string field, reason;
        if (!parser.strings({line.text.data(), line.text.size(), lines.readableEnd()}, kKeys,
                            comment, found, field, reason)) {
            context.problem(line.number, std::move(field), std::move(reason), line.text);
            continue;
        }
        const auto absent = std::find(found.begin(), found.end(), false);
        if (absent != found.end()) {
            const std::string_view key = kKeys[absent - found.begin()];
            context.problem(line.number, std::string(key),
                            "missing field '" + std::string(key) + "'", line.text);
            continue;
        }
        if (body == "[deleted]" || body == "[removed]") {
            context.problem(line.number, "body", "comment body is " + body, line.text);
            continue;
        }
        if (parentId.starts_with("t1_")) {
            const auto parent = bodies.find(parentId.substr(3));
            if (parent == bodies.end()) {
                context.problem(line.number, "parent_id",
                                "parent comment " + parentId + " is not earlier in the file",
                                line.text);
            } else {
                Record record;
                record.kind = RecordKind::Chat;
                record.messages.push_back({"user", parent->second});
                record.messages.push_back({"assistant", body});
                if (!context.record(std::move(record), line.number)) return;
            }
        }
        bodies[id] = body;
    }
    context.progress(source);
}

} // namespace rlhf::data
