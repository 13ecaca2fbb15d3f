// simdjson On Demand over one row. Errors surface lazily in On Demand, so the whole
// extraction runs under one try block and any simdjson error becomes the row's problem.
#include "core/data/readers/json_row.h"

#include <simdjson.h>

#include <algorithm>

namespace rlhf::data {
namespace {

using namespace simdjson;

std::string_view typeName(ondemand::json_type type)
{
    switch (type) {
    case ondemand::json_type::array:
        return "a list";
    case ondemand::json_type::object:
        return "an object";
    case ondemand::json_type::number:
        return "a number";
    case ondemand::json_type::string:
        return "a string";
    case ondemand::json_type::boolean:
        return "a boolean";
    default:
        return "null";
    }
}

// A message's content: a string, or OpenAI's list of parts [{type: "text", text}] joined.
bool contentText(ondemand::value value, std::string& out, std::string& why)
{
    const ondemand::json_type type = value.type();
    if (type == ondemand::json_type::string) {
        out = std::string_view(value.get_string());
        return true;
    }
    if (type != ondemand::json_type::array) {
        why = "expected a string or a list of text parts, found " + std::string(typeName(type));
        return false;
    }
    out.clear();
    for (ondemand::value part : value.get_array()) {
        if (part.type() != ondemand::json_type::object) {
            why = "a content part is not an object";
            return false;
        }
        std::string_view partType, text;
        bool hasText = false;
        for (ondemand::field field : part.get_object()) {
            const std::string_view key = field.unescaped_key();
            if (key == "type" && field.value().type() == ondemand::json_type::string)
                partType = field.value().get_string();
            else if (key == "text" && field.value().type() == ondemand::json_type::string) {
                // The part's text must outlive the next get_string: copy before going on.
                text = field.value().get_string();
                if (!out.empty()) out += '\n';
                out += text;
                hasText = true;
            }
        }
        if (!partType.empty() && partType != "text") // images and the like carry no text
            continue;
        if (!hasText) {
            why = "a text part has no string 'text'";
            return false;
        }
    }
    return true;
}

// A list of {role|from, content|value} objects into messages; a bad element is recorded in
// the FieldValue (where and why), not thrown, so the caller names the exact field.
void readMessages(ondemand::array array, const std::string& name, FieldValue& value)
{
    size_t index = 0;
    for (ondemand::value element : array) {
        // Built only for a problem: this loop runs for every message of every row.
        const auto where = [&] { return name + "[" + std::to_string(index) + "]"; };
        if (element.type() != ondemand::json_type::object) {
            value.listProblemField = where();
            value.listProblem =
                "expected an object, found " + std::string(typeName(element.type()));
            return;
        }
        Message message;
        bool hasRole = false, hasContent = false;
        std::string roleKey = "role";
        for (ondemand::field field : element.get_object()) {
            const std::string_view key = field.unescaped_key();
            if (key == "role" || key == "from") {
                roleKey = std::string(key);
                if (field.value().type() != ondemand::json_type::string) {
                    value.listProblemField = where() + "." + roleKey;
                    value.listProblem = "expected a string";
                    return;
                }
                const std::string_view role = field.value().get_string();
                message.role = std::string(canonicalRole(role));
                if (message.role.empty()) {
                    value.listProblemField = where() + "." + roleKey;
                    value.listProblem = "unknown role '" + std::string(role) + "'";
                    return;
                }
                hasRole = true;
            } else if (key == "content" || key == "value") {
                std::string why;
                if (!contentText(field.value(), message.content, why)) {
                    value.listProblemField = where() + "." + std::string(key);
                    value.listProblem = why;
                    return;
                }
                hasContent = true;
            }
        }
        if (!hasRole || !hasContent) {
            value.listProblemField = where();
            value.listProblem =
                hasRole ? "message has no 'content' or 'value'" : "message has no 'role' or 'from'";
            return;
        }
        value.messages.push_back(std::move(message));
        ++index;
    }
}

} // namespace

bool isBlank(std::string_view row)
{
    for (const char c : row)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
    return true;
}

struct JsonRowParser::Impl {
    ondemand::parser parser;
};

JsonRowParser::JsonRowParser() : m_impl(std::make_unique<Impl>()) {}
JsonRowParser::~JsonRowParser() = default;

namespace {

// simdjson has no "document ended" query in 3.0: a location still inside means trailing bytes.
bool trailingContent(ondemand::document& doc)
{
    const char* location = nullptr;
    return doc.current_location().get(location) == SUCCESS;
}

ondemand::document iterate(ondemand::parser& parser, const JsonRowBytes& row)
{
    return parser.iterate(row.data, row.size, static_cast<size_t>(row.readableEnd - row.data));
}

} // namespace

bool JsonRowParser::fields(const JsonRowBytes& row, RowFields& fields, std::string& problemField,
                           std::string& reason)
{
    ondemand::parser& parser = m_impl->parser;
    fields.clear();
    problemField.clear();
    try {
        ondemand::document doc = iterate(parser, row);
        if (doc.type() != ondemand::json_type::object) {
            reason = "the row is not a JSON object";
            return false;
        }
        for (ondemand::field field : doc.get_object()) {
            const std::string_view key = field.unescaped_key();
            for (size_t i = 0; i < kFieldCount; ++i) {
                if (fields.names[i] != key) continue;
                FieldValue& value = fields.values[i];
                ondemand::value json = field.value();
                const ondemand::json_type type = json.type();
                if (type == ondemand::json_type::string) {
                    value.type = FieldValue::Type::String;
                    value.text = std::string_view(json.get_string());
                } else if (type == ondemand::json_type::array) {
                    value.type = FieldValue::Type::List;
                    readMessages(json.get_array(), fields.names[i], value);
                } else {
                    value.type = FieldValue::Type::Other;
                    value.otherType = typeName(type);
                }
                break; // two canonical fields mapped to one name: the first one reads it
            }
        }
        if (trailingContent(doc)) {
            reason = "invalid JSON: trailing content after the object";
            return false;
        }
    } catch (const simdjson_error& error) {
        reason = std::string("invalid JSON: ") + error_message(error.error());
        return false;
    }
    return true;
}

bool JsonRowParser::columns(const JsonRowBytes& row,
                            std::vector<std::pair<std::string, std::string>>& columns,
                            std::string& reason)
{
    ondemand::parser& parser = m_impl->parser;
    columns.clear();
    try {
        ondemand::document doc = iterate(parser, row);
        if (doc.type() != ondemand::json_type::object) {
            reason = "the row is not a JSON object";
            return false;
        }
        for (ondemand::field field : doc.get_object()) {
            std::string key(std::string_view(field.unescaped_key()));
            ondemand::value value = field.value();
            const ondemand::json_type type = value.type();
            std::string text;
            if (type == ondemand::json_type::string)
                text = std::string_view(value.get_string());
            else if (type == ondemand::json_type::array) {
                ondemand::array array = value.get_array();
                text = std::string_view(array.raw_json());
            } else if (type == ondemand::json_type::object) {
                ondemand::object object = value.get_object();
                text = std::string_view(object.raw_json());
            } else
                text = value.raw_json_token();
            while (!text.empty() && (text.back() == ' ' || text.back() == '\n' ||
                                     text.back() == '\r' || text.back() == '\t'))
                text.pop_back();
            columns.emplace_back(std::move(key), std::move(text));
        }
    } catch (const simdjson_error& error) {
        reason = std::string("invalid JSON: ") + error_message(error.error());
        return false;
    }
    return true;
}

bool JsonRowParser::strings(const JsonRowBytes& row, std::span<const std::string_view> keys,
                            std::span<std::string> values, std::span<bool> found,
                            std::string& problemField, std::string& reason)
{
    std::fill(found.begin(), found.end(), false);
    problemField.clear();
    try {
        ondemand::document doc = iterate(m_impl->parser, row);
        if (doc.type() != ondemand::json_type::object) {
            reason = "the row is not a JSON object";
            return false;
        }
        for (ondemand::field entry : doc.get_object()) {
            const std::string_view key = entry.unescaped_key();
            const auto wanted = std::find(keys.begin(), keys.end(), key);
            if (wanted == keys.end()) continue;
            const size_t index = wanted - keys.begin();
            if (entry.value().type() != ondemand::json_type::string) {
                problemField = std::string(key);
                reason = "expected a string, found " + std::string(typeName(entry.value().type()));
                return false;
            }
            values[index] = std::string_view(entry.value().get_string());
            found[index] = true;
        }
        if (trailingContent(doc)) {
            reason = "invalid JSON: trailing content after the object";
            return false;
        }
    } catch (const simdjson_error& error) {
        reason = std::string("invalid JSON: ") + error_message(error.error());
        return false;
    }
    return true;
}

} // namespace rlhf::data
