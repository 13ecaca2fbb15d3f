// From the fields of one row to a Record, shape by shape; the rules follow the published data
// sets (Alpaca, ShareGPT, OpenAI chat, UltraFeedback-binarized, Anthropic HH-RLHF).
#include "core/data/readers/record_shapes.h"

#include <algorithm>

namespace rlhf::data {

RowFields::RowFields(const FieldMapping& mapping)
{
    for (size_t i = 0; i < kFieldCount; ++i) {
        const auto found = mapping.find(std::string(kFieldNames[i]));
        names[i] = found != mapping.end() ? found->second : std::string(kFieldNames[i]);
    }
}

void RowFields::clear()
{
    for (FieldValue& value : values) {
        value.type = FieldValue::Type::Missing;
        value.messages.clear();
        value.listProblem.clear();
    }
}

std::string_view canonicalRole(std::string_view role)
{
    if (role == "user" || role == "human") return "user";
    if (role == "assistant" || role == "gpt" || role == "chatgpt" || role == "bard" ||
        role == "bing" || role == "model")
        return "assistant";
    if (role == "system") return "system";
    return "";
}

RecordKind kindOfShape(RecordShape shape)
{
    switch (shape) {
    case RecordShape::Alpaca:
    case RecordShape::ShareGpt:
    case RecordShape::Messages:
        return RecordKind::Chat;
    case RecordShape::Preference:
    case RecordShape::HhRlhf:
        return RecordKind::Preference;
    default:
        return RecordKind::Text;
    }
}

namespace {

std::string_view typeWord(const FieldValue& value)
{
    switch (value.type) {
    case FieldValue::Type::Missing:
        return "nothing";
    case FieldValue::Type::String:
        return "a string";
    case FieldValue::Type::List:
        return "a list";
    default:
        return value.otherType;
    }
}

// Collects the problem of a row for buildRecord's caller.
struct Problem {
    std::string& field;
    std::string& reason;
    bool operator()(const std::string& where, std::string why)
    {
        field = where;
        reason = std::move(why);
        return false;
    }
};

bool needString(const RowFields& fields, Field which, Problem& fail, const std::string** out)
{
    const FieldValue& value = fields[which];
    if (value.type == FieldValue::Type::Missing)
        return fail(fields.name(which), "missing field '" + fields.name(which) + "'");
    if (value.type != FieldValue::Type::String)
        return fail(fields.name(which), "expected a string, found " + std::string(typeWord(value)));
    *out = &value.text;
    return true;
}

bool needMessages(const RowFields& fields, Field which, Problem& fail,
                  const std::vector<Message>** out)
{
    const FieldValue& value = fields[which];
    if (value.type == FieldValue::Type::Missing)
        return fail(fields.name(which), "missing field '" + fields.name(which) + "'");
    if (value.type != FieldValue::Type::List)
        return fail(fields.name(which),
                    "expected a list of messages, found " + std::string(typeWord(value)));
    if (!value.listProblem.empty()) return fail(value.listProblemField, value.listProblem);
    if (value.messages.empty()) return fail(fields.name(which), "empty list of messages");
    *out = &value.messages;
    return true;
}

// A preference reply: a string, or a message list whose last message is the assistant's reply
// (its other messages are the prompt dialogue, as in UltraFeedback-binarized).
bool reply(const RowFields& fields, Field which, Problem& fail, std::string& text,
           std::vector<Message>* dialogue)
{
    const FieldValue& value = fields[which];
    if (value.type == FieldValue::Type::String) {
        text = value.text;
        return true;
    }
    const std::vector<Message>* messages = nullptr;
    if (!needMessages(fields, which, fail, &messages)) return false;
    if (messages->back().role != "assistant")
        return fail(fields.name(which), "the last message is not the assistant's reply");
    text = messages->back().content;
    if (dialogue) dialogue->assign(messages->begin(), messages->end() - 1);
    return true;
}

} // namespace

bool parseHhTranscript(std::string_view transcript, std::vector<Message>& messages,
                       std::string& reason)
{
    static constexpr std::string_view kHuman = "\n\nHuman:", kAssistant = "\n\nAssistant:";
    messages.clear();
    if (!transcript.starts_with(kHuman)) {
        reason = "transcript does not start with \"\\n\\nHuman:\"";
        return false;
    }
    size_t pos = 0;
    while (pos < transcript.size()) {
        const bool human = transcript.substr(pos).starts_with(kHuman);
        const size_t start = pos + (human ? kHuman.size() : kAssistant.size());
        const size_t nextHuman = transcript.find(kHuman, start);
        const size_t nextAssistant = transcript.find(kAssistant, start);
        const size_t end = std::min(nextHuman, nextAssistant);
        std::string_view content = transcript.substr(start, end - start);
        while (!content.empty() && (content.front() == ' ' || content.front() == '\n'))
            content.remove_prefix(1);
        while (!content.empty() && (content.back() == ' ' || content.back() == '\n'))
            content.remove_suffix(1);
        messages.push_back({human ? "user" : "assistant", std::string(content)});
        pos = end;
    }
    for (size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].role != (i % 2 == 0 ? "user" : "assistant")) {
            reason = "turn " + std::to_string(i + 1) + " breaks the Human/Assistant alternation";
            return false;
        }
    }
    if (messages.back().role != "assistant") {
        reason = "transcript does not end with an Assistant turn";
        return false;
    }
    return true;
}

bool buildRecord(RecordShape shape, const RowFields& fields, Record& record,
                 std::string& problemField, std::string& reason)
{
    Problem fail{problemField, reason};
    record.kind = kindOfShape(shape);
    record.text.clear();
    record.messages.clear();
    record.chosen.clear();
    record.rejected.clear();
    const std::string* text = nullptr;
    const std::vector<Message>* list = nullptr;
    switch (shape) {
    case RecordShape::Alpaca: {
        const std::string *instruction = nullptr, *output = nullptr;
        if (!needString(fields, Field::Instruction, fail, &instruction) ||
            !needString(fields, Field::Output, fail, &output))
            return false;
        const FieldValue& input = fields[Field::Input];
        const FieldValue& system = fields[Field::System];
        if (input.type != FieldValue::Type::Missing && input.type != FieldValue::Type::String)
            return fail(fields.name(Field::Input),
                        "expected a string, found " + std::string(typeWord(input)));
        if (system.type != FieldValue::Type::Missing && system.type != FieldValue::Type::String)
            return fail(fields.name(Field::System),
                        "expected a string, found " + std::string(typeWord(system)));
        if (system.type == FieldValue::Type::String && !system.text.empty())
            record.messages.push_back({"system", system.text});
        std::string user = *instruction;
        if (input.type == FieldValue::Type::String && !input.text.empty())
            user += "\n\n" + input.text;
        record.messages.push_back({"user", std::move(user)});
        record.messages.push_back({"assistant", *output});
        return true;
    }
    case RecordShape::ShareGpt:
    case RecordShape::Messages:
        if (!needMessages(fields,
                          shape == RecordShape::ShareGpt ? Field::Conversations : Field::Messages,
                          fail, &list))
            return false;
        record.messages = *list;
        return true;
    case RecordShape::Preference: {
        std::vector<Message> fromChosen;
        if (!reply(fields, Field::Chosen, fail, record.chosen, &fromChosen) ||
            !reply(fields, Field::Rejected, fail, record.rejected, nullptr))
            return false;
        const FieldValue& prompt = fields[Field::Prompt];
        if (prompt.type == FieldValue::Type::String) {
            record.messages.push_back({"user", prompt.text});
        } else if (prompt.type == FieldValue::Type::List) {
            if (!needMessages(fields, Field::Prompt, fail, &list)) return false;
            record.messages = *list;
        } else if (prompt.type == FieldValue::Type::Missing && !fromChosen.empty()) {
            record.messages = std::move(fromChosen);
        } else {
            return fail(fields.name(Field::Prompt),
                        prompt.type == FieldValue::Type::Missing
                            ? "missing field '" + fields.name(Field::Prompt) + "'"
                            : "expected a string or messages, found " +
                                  std::string(typeWord(prompt)));
        }
        return true;
    }
    case RecordShape::HhRlhf: {
        const std::string *chosen = nullptr, *rejected = nullptr;
        if (!needString(fields, Field::Chosen, fail, &chosen) ||
            !needString(fields, Field::Rejected, fail, &rejected))
            return false;
        std::vector<Message> chosenTurns, rejectedTurns;
        std::string why;
        if (!parseHhTranscript(*chosen, chosenTurns, why))
            return fail(fields.name(Field::Chosen), why);
        if (!parseHhTranscript(*rejected, rejectedTurns, why))
            return fail(fields.name(Field::Rejected), why);
        if (!std::equal(chosenTurns.begin(), chosenTurns.end() - 1, rejectedTurns.begin(),
                        rejectedTurns.end() - 1))
            return fail(fields.name(Field::Rejected),
                        "the dialogue before the final reply differs from chosen's");
        record.chosen = std::move(chosenTurns.back().content);
        record.rejected = std::move(rejectedTurns.back().content);
        chosenTurns.pop_back();
        record.messages = std::move(chosenTurns);
        return true;
    }
    default:
        if (!needString(fields, Field::Text, fail, &text)) return false;
        record.text = *text;
        return true;
    }
}

ShapeGuess guessShape(const std::vector<std::string>& fields, const FieldMapping& mapping,
                      bool chosenIsTranscript)
{
    ShapeGuess guess;
    guess.mapping = mapping;
    const RowFields names(mapping);
    const auto has = [&](Field field) {
        return std::find(fields.begin(), fields.end(), names.name(field)) != fields.end();
    };
    const auto quote = [&](Field field) { return "'" + names.name(field) + "'"; };
    guess.found = true;
    if (has(Field::Conversations)) {
        guess.shape = RecordShape::ShareGpt;
        guess.explanation = "ShareGPT (field " + quote(Field::Conversations) + ")";
    } else if (has(Field::Messages)) {
        guess.shape = RecordShape::Messages;
        guess.explanation = "OpenAI messages (field " + quote(Field::Messages) + ")";
    } else if (has(Field::Instruction) && has(Field::Output)) {
        guess.shape = RecordShape::Alpaca;
        guess.explanation =
            "Alpaca (fields " + quote(Field::Instruction) + ", " + quote(Field::Output) + ")";
    } else if (has(Field::Chosen) && has(Field::Rejected) &&
               (has(Field::Prompt) || !chosenIsTranscript)) {
        guess.shape = RecordShape::Preference;
        guess.explanation = "preference pairs (fields " + quote(Field::Chosen) + ", " +
                            quote(Field::Rejected) + ")";
    } else if (has(Field::Chosen) && has(Field::Rejected)) {
        guess.shape = RecordShape::HhRlhf;
        guess.explanation = "HH-RLHF transcripts (fields " + quote(Field::Chosen) + ", " +
                            quote(Field::Rejected) + ")";
    } else {
        guess.shape = RecordShape::Text;
        guess.found = false;
        const bool mapped = mapping.count("text") > 0;
        for (const char* candidate : {"text", "content", "body"}) {
            const std::string name = mapped ? names.name(Field::Text) : candidate;
            if (std::find(fields.begin(), fields.end(), name) != fields.end()) {
                guess.mapping["text"] = name;
                guess.found = true;
                break;
            }
        }
        guess.explanation = guess.found ? "text (field '" + guess.mapping["text"] + "')"
                                        : "text, but no field named text, content or body";
    }
    return guess;
}

} // namespace rlhf::data
