#include "core/data/record.h"

#include "core/util/error.h"

#include <nlohmann/json.hpp>

namespace rlhf::data {

namespace {

using nlohmann::json;

json messagesJson(const std::vector<Message>& messages)
{
    json list = json::array();
    for (const Message& message : messages) {
        list.push_back({{"role", message.role}, {"content", message.content}});
    }
    return list;
}

std::vector<Message> messagesFrom(const json& list, std::string_view field)
{
    if (!list.is_array()) throw Error("\"" + std::string(field) + "\" is not an array");
    std::vector<Message> messages;
    for (const json& item : list) {
        if (!item.is_object() || !item.contains("role") || !item.contains("content") ||
            !item["role"].is_string() || !item["content"].is_string()) {
            throw Error("\"" + std::string(field) +
                        "\" holds an item without string \"role\" and \"content\"");
        }
        messages.push_back({item["role"].get<std::string>(), item["content"].get<std::string>()});
    }
    return messages;
}

std::string stringField(const json& object, const char* name)
{
    auto found = object.find(name);
    if (found == object.end() || !found->is_string()) {
        throw Error(std::string("no string field \"") + name + "\"");
    }
    return found->get<std::string>();
}

} // namespace

std::string_view recordKindName(RecordKind kind)
{
    switch (kind) {
    case RecordKind::Text:
        return "text";
    case RecordKind::Chat:
        return "chat";
    case RecordKind::Preference:
        return "preference";
    }
    return "text";
}

RecordKind parseRecordKind(std::string_view word)
{
    for (RecordKind kind : {RecordKind::Text, RecordKind::Chat, RecordKind::Preference}) {
        if (recordKindName(kind) == word) return kind;
    }
    throw Error("unknown record kind \"" + std::string(word) +
                "\" (expected text, chat or preference)");
}

void forEachField(Record& record, const std::function<void(std::string_view, std::string&)>& visit)
{
    if (record.kind == RecordKind::Text) visit("text", record.text);
    for (size_t i = 0; i < record.messages.size(); ++i) {
        visit("messages[" + std::to_string(i) + "].content", record.messages[i].content);
    }
    if (record.kind == RecordKind::Preference) {
        visit("chosen", record.chosen);
        visit("rejected", record.rejected);
    }
}

void forEachField(const Record& record,
                  const std::function<void(std::string_view, const std::string&)>& visit)
{
    forEachField(const_cast<Record&>(record),
                 [&](std::string_view field, std::string& value) { visit(field, value); });
}

std::string joinedText(const Record& record)
{
    std::string joined;
    forEachField(record, [&](std::string_view, const std::string& value) {
        if (!joined.empty()) joined += '\n';
        joined += value;
    });
    return joined;
}

std::string toDocumentText(const Record& record)
{
    switch (record.kind) {
    case RecordKind::Text:
        return record.text;
    case RecordKind::Chat:
        return json{{"messages", messagesJson(record.messages)}}.dump();
    case RecordKind::Preference:
        return json{{"prompt", messagesJson(record.messages)},
                    {"chosen", record.chosen},
                    {"rejected", record.rejected}}
            .dump();
    }
    return record.text;
}

Record fromDocumentText(RecordKind kind, std::string_view document, SourceLocation source)
{
    Record record;
    record.kind = kind;
    record.source = std::move(source);
    if (kind == RecordKind::Text) {
        record.text = std::string(document);
        return record;
    }
    return withContext(std::string(recordKindName(kind)) + " document", [&] {
        const json parsed = json::parse(document.begin(), document.end());
        if (!parsed.is_object()) throw Error("not a JSON object");
        if (kind == RecordKind::Chat) {
            if (!parsed.contains("messages")) throw Error("no field \"messages\"");
            record.messages = messagesFrom(parsed["messages"], "messages");
        } else {
            if (!parsed.contains("prompt")) throw Error("no field \"prompt\"");
            record.messages = messagesFrom(parsed["prompt"], "prompt");
            record.chosen = stringField(parsed, "chosen");
            record.rejected = stringField(parsed, "rejected");
        }
        return record;
    });
}

} // namespace rlhf::data
