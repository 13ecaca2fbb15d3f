// A Stack Exchange dump's Posts.xml, streamed through expat: each question (PostTypeId 1) with
// an AcceptedAnswerId becomes a Chat record, user = title + "\n\n" + body, assistant = the
// accepted answer's body. Bodies stay HTML; the cleaning pipeline's html step strips it.
//
// Memory: questions wait in a map until their accepted answer arrives (answers follow their
// question in the dump's Id order), so memory grows with the questions still waiting, not
// with the file. Questions whose answer never arrives are reported at the end.
#include "core/data/readers/read_context.h"

#include <expat.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace rlhf::data {
namespace {

struct PendingQuestion {
    int64_t line = 0;
    std::string id, answerId;
    std::string text; // title + "\n\n" + body
};

struct Parse {
    ReadContext& context;
    XML_Parser parser;
    std::unordered_map<std::string, PendingQuestion> waiting; // accepted answer id -> question
};

void startElement(void* data, const XML_Char* name, const XML_Char** attributes)
{
    auto& parse = *static_cast<Parse*>(data);
    if (std::strcmp(name, "row") != 0 || parse.context.stopped()) return;
    std::string_view id, type, accepted, title, body;
    bool hasBody = false;
    for (size_t i = 0; attributes[i]; i += 2) {
        const std::string_view key = attributes[i], value = attributes[i + 1];
        if (key == "Id")
            id = value;
        else if (key == "PostTypeId")
            type = value;
        else if (key == "AcceptedAnswerId")
            accepted = value;
        else if (key == "Title")
            title = value;
        else if (key == "Body")
            body = value, hasBody = true;
    }
    const int64_t line = XML_GetCurrentLineNumber(parse.parser);
    if (type == "1" && !accepted.empty()) {
        if (!hasBody) {
            parse.context.problem(line, "Body", "question " + std::string(id) + " has no Body", "");
            return;
        }
        std::string text(title);
        if (!text.empty()) text += "\n\n";
        text += body;
        parse.waiting[std::string(accepted)] = {line, std::string(id), std::string(accepted),
                                                std::move(text)};
    } else if (type == "2") {
        const auto found = parse.waiting.find(std::string(id));
        if (found == parse.waiting.end()) return; // an answer nobody accepted: not part of a pair
        PendingQuestion question = std::move(found->second);
        parse.waiting.erase(found);
        if (!hasBody) {
            parse.context.problem(line, "Body", "answer " + std::string(id) + " has no Body", "");
            return;
        }
        Record record;
        record.kind = RecordKind::Chat;
        record.messages.push_back({"user", std::move(question.text)});
        record.messages.push_back({"assistant", std::string(body)});
        if (!parse.context.record(std::move(record), question.line))
            XML_StopParser(parse.parser, XML_FALSE);
    }
}

} // namespace

void readStackExchange(ReadContext& context, ByteSource& source)
{
    XML_Parser parser = XML_ParserCreate("UTF-8");
    Parse parse{context, parser, {}};
    XML_SetUserData(parser, &parse);
    XML_SetStartElementHandler(parser, startElement);
    std::vector<char> buffer(std::clamp<uint64_t>(source.bytesTotal(), 4096, 1u << 20));
    bool failed = false;
    for (;;) {
        const size_t got = source.read(buffer.data(), buffer.size());
        if (XML_Parse(parser, buffer.data(), static_cast<int>(got), got == 0) == XML_STATUS_ERROR) {
            if (XML_GetErrorCode(parser) != XML_ERROR_ABORTED) {
                context.problem(XML_GetCurrentLineNumber(parser), "",
                                std::string("invalid XML, reading stops here: ") +
                                    XML_ErrorString(XML_GetErrorCode(parser)),
                                "");
                failed = true;
            }
            break;
        }
        if (got == 0 || !context.progress(source)) break;
    }
    XML_ParserFree(parser);
    if (context.stopped()) return;
    std::vector<PendingQuestion*> orphans;
    for (auto& entry : parse.waiting)
        orphans.push_back(&entry.second);
    std::sort(orphans.begin(), orphans.end(), [](auto* a, auto* b) { return a->line < b->line; });
    for (const PendingQuestion* question : orphans) {
        context.problem(question->line, "AcceptedAnswerId",
                        "accepted answer " + question->answerId + " of question " + question->id +
                            (failed ? " was not read before the XML error"
                                    : " is not in the file (after its question)"),
                        question->text);
    }
}

} // namespace rlhf::data
