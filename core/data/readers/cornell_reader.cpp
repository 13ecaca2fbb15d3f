// The Cornell Movie-Dialogs corpus in its published layout: movie_lines.txt holds utterances
// ("L1045 +++$+++ u0 +++$+++ m0 +++$+++ BIANCA +++$+++ They do not!"), movie_conversations.txt
// lists each dialogue's utterance ids ("u0 +++$+++ u2 +++$+++ m0 +++$+++ ['L194', 'L195']").
// Each dialogue becomes a Chat record whose turns alternate user / assistant.
//
// Memory: unlike the other readers this one indexes movie_lines.txt in memory (id -> text,
// about 300k lines, ~30 MB for the real corpus), because conversations refer to lines in any
// order. The conversations file itself is streamed.
#include "core/data/readers/read_context.h"

#include <unordered_map>

namespace rlhf::data {
namespace {

constexpr std::string_view kSeparator = " +++$+++ ";

std::vector<std::string_view> splitFields(std::string_view line)
{
    std::vector<std::string_view> parts;
    for (;;) {
        const size_t at = line.find(kSeparator);
        parts.push_back(line.substr(0, at));
        if (at == std::string_view::npos) return parts;
        line.remove_prefix(at + kSeparator.size());
    }
}

bool validUtf8(std::string_view text)
{
    for (size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const size_t length = c < 0x80         ? 1
                              : (c >> 5) == 6  ? 2
                              : (c >> 4) == 14 ? 3
                              : (c >> 3) == 30 ? 4
                                               : 0;
        if (length == 0 || (length > 1 && c < 0xC2) || i + length > text.size()) return false;
        for (size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2) return false;
        i += length;
    }
    return true;
}

// The published corpus is ISO-8859-1; a copy already converted to UTF-8 is kept as it is.
std::string toUtf8(std::string_view text)
{
    if (validUtf8(text)) return std::string(text);
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x80) {
            out += c;
        } else {
            out += static_cast<char>(0xC0 | (byte >> 6));
            out += static_cast<char>(0x80 | (byte & 0x3F));
        }
    }
    return out;
}

// "['L194', 'L195']" -> {"L194", "L195"}; false when it is not such a list.
bool parseIdList(std::string_view list, std::vector<std::string_view>& ids)
{
    ids.clear();
    while (!list.empty() && (list.back() == ' ' || list.back() == '\r'))
        list.remove_suffix(1);
    if (list.size() < 2 || list.front() != '[' || list.back() != ']') return false;
    list = list.substr(1, list.size() - 2);
    while (!list.empty()) {
        const size_t comma = list.find(',');
        std::string_view id = list.substr(0, comma);
        while (!id.empty() && (id.front() == ' ' || id.front() == '\''))
            id.remove_prefix(1);
        while (!id.empty() && (id.back() == ' ' || id.back() == '\''))
            id.remove_suffix(1);
        if (id.empty()) return false;
        ids.push_back(id);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return !ids.empty();
}

} // namespace

void readCornell(ReadContext& context, ByteSource& conversations, ByteSource& linesSource,
                 const std::string& linesFile)
{
    std::unordered_map<std::string, std::string> utterances;
    {
        LineReader lines(linesSource, context.options.maxRowBytes);
        Line line;
        while (lines.next(line)) {
            if (line.tooLong) {
                context.problemIn(linesFile, line.number, "", "line too long", line.text);
                continue;
            }
            if (line.text.empty()) continue;
            const auto parts = splitFields(line.text);
            if (parts.size() < 5) {
                context.problemIn(linesFile, line.number, "",
                                  "expected 5 fields separated by \" +++$+++ \", found " +
                                      std::to_string(parts.size()),
                                  line.text);
                continue;
            }
            std::string_view text = line.text.substr(parts[4].data() - line.text.data());
            utterances[std::string(parts[0])] = toUtf8(text);
        }
    }
    LineReader lines(conversations, context.options.maxRowBytes);
    Line line;
    std::vector<std::string_view> ids;
    while (lines.next(line)) {
        if (!context.progress(conversations)) return;
        if (line.tooLong) {
            context.problem(line.number, "", "line too long", line.text);
            continue;
        }
        if (line.text.empty()) continue;
        const auto parts = splitFields(line.text);
        if (parts.size() != 4 || !parseIdList(parts[3], ids)) {
            context.problem(line.number, "utterances",
                            "expected \"u0 +++$+++ u2 +++$+++ m0 +++$+++ ['L1', 'L2']\"",
                            line.text);
            continue;
        }
        Record record;
        record.kind = RecordKind::Chat;
        std::string missing;
        for (size_t i = 0; i < ids.size(); ++i) {
            const auto found = utterances.find(std::string(ids[i]));
            if (found == utterances.end()) {
                missing = std::string(ids[i]);
                break;
            }
            record.messages.push_back({i % 2 == 0 ? "user" : "assistant", found->second});
        }
        if (!missing.empty()) {
            context.problem(line.number, "utterances",
                            "line id " + missing + " is not in " + linesFile, line.text);
            continue;
        }
        if (record.messages.size() < 2) {
            context.problem(line.number, "utterances", "a conversation needs at least two lines",
                            line.text);
            continue;
        }
        if (!context.record(std::move(record), line.number)) return;
    }
}

} // namespace rlhf::data
