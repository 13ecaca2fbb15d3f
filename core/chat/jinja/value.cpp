#include "core/chat/jinja/value.h"

#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace rlhf::chat::jinja {

namespace {

// Python's repr(float): the shortest digits that read back, fixed notation for exponents in
// [-4, 16), else d.ddde+XX.
std::string pythonFloat(double value)
{
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[64];
    const auto result =
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    std::string text(buffer, result.ptr);
    const size_t e = text.find('e');
    std::string mantissa = text.substr(0, e);
    const int exponent = std::stoi(text.substr(e + 1));
    const bool negative = mantissa.front() == '-';
    if (negative) mantissa.erase(0, 1);
    std::string digits;
    for (char c : mantissa)
        if (c != '.') digits += c;
    std::string out;
    if (exponent >= -4 && exponent < 16) {
        if (exponent < 0) {
            out = "0." + std::string(size_t(-exponent - 1), '0') + digits;
        } else if (size_t(exponent) + 1 >= digits.size()) {
            out = digits + std::string(size_t(exponent) + 1 - digits.size(), '0') + ".0";
        } else {
            out =
                digits.substr(0, size_t(exponent) + 1) + "." + digits.substr(size_t(exponent) + 1);
        }
    } else {
        out = digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        char tail[16];
        std::snprintf(tail, sizeof tail, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
        out += tail;
    }
    return negative ? "-" + out : out;
}

std::string jsonString(const std::string& text)
{
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (c < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                out += escaped;
            } else {
                out += char(c);
            }
        }
    }
    return out + "\"";
}

std::string pythonStringRepr(const std::string& text)
{
    const bool single = text.find('\'') != std::string::npos && text.find('"') == std::string::npos;
    const char quote = single ? '"' : '\'';
    std::string out(1, quote);
    for (unsigned char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (c == quote)
            out += std::string("\\") + char(c);
        else if (c < 0x20 || c == 0x7f) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        } else {
            out += char(c);
        }
    }
    return out + quote;
}

void dumpJson(const Value& value, int indent, bool sortKeys, int depth, std::string& out)
{
    const std::string newline =
        indent >= 0 ? "\n" + std::string(size_t(indent * (depth + 1)), ' ') : "";
    const std::string closing = indent >= 0 ? "\n" + std::string(size_t(indent * depth), ' ') : "";
    const std::string comma = indent >= 0 ? "," : ", ";
    if (value.isUndefined() || value.isCallable())
        throw Error("tojson: " + value.typeName() + " is not JSON serializable");
    if (value.isNone()) {
        out += "null";
    } else if (value.isBool()) {
        out += value.asBool() ? "true" : "false";
    } else if (value.isInt()) {
        out += std::to_string(value.asInt());
    } else if (value.isFloat()) {
        const double number = value.asNumber();
        out += std::isnan(number)   ? "NaN"
               : std::isinf(number) ? (number > 0 ? "Infinity" : "-Infinity")
                                    : pythonFloat(number);
    } else if (value.isString()) {
        out += jsonString(value.asString());
    } else if (value.isList()) {
        const List& list = value.asList();
        if (list.empty()) {
            out += "[]";
            return;
        }
        out += "[";
        for (size_t i = 0; i < list.size(); ++i) {
            out += i == 0 ? newline : comma + newline;
            dumpJson(list[i], indent, sortKeys, depth + 1, out);
        }
        out += closing + "]";
    } else {
        auto entries = value.asDict().entries;
        if (entries.empty()) {
            out += "{}";
            return;
        }
        if (sortKeys)
            std::stable_sort(entries.begin(), entries.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
        out += "{";
        for (size_t i = 0; i < entries.size(); ++i) {
            out += i == 0 ? newline : comma + newline;
            out += jsonString(entries[i].first) + ": ";
            dumpJson(entries[i].second, indent, sortKeys, depth + 1, out);
        }
        out += closing + "}";
    }
}

} // namespace

const Value* Dict::find(const std::string& key) const
{
    for (const auto& entry : entries)
        if (entry.first == key) return &entry.second;
    return nullptr;
}

void Dict::set(const std::string& key, Value value)
{
    for (auto& entry : entries)
        if (entry.first == key) {
            entry.second = std::move(value);
            return;
        }
    entries.emplace_back(key, std::move(value));
}

const Value* Arguments::keyword(const std::string& name) const
{
    for (const auto& entry : keywords)
        if (entry.first == name) return &entry.second;
    return nullptr;
}

Value Value::fromJson(const nlohmann::ordered_json& json)
{
    switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
        return Value(nullptr);
    case nlohmann::ordered_json::value_t::boolean:
        return Value(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned:
        return Value(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_float:
        return Value(json.get<double>());
    case nlohmann::ordered_json::value_t::string:
        return Value(json.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
        List list;
        for (const auto& item : json)
            list.push_back(fromJson(item));
        return Value(std::move(list));
    }
    case nlohmann::ordered_json::value_t::object: {
        Dict dict;
        for (const auto& item : json.items())
            dict.entries.emplace_back(item.key(), fromJson(item.value()));
        return Value(std::move(dict));
    }
    default:
        throw Error("chat template: a JSON value of type " + std::string(json.type_name()) +
                    " has no template equivalent");
    }
}

void Value::wrongType(const char* expected) const
{
    throw Error(std::string("expected ") + expected + ", got " + typeName());
}

int64_t Value::asInt() const
{
    return isBool() ? int64_t(asBool()) : get<int64_t>("an integer");
}

double Value::asNumber() const
{
    if (isFloat()) return get<double>("a number");
    if (!isInt() && !isBool()) wrongType("a number");
    return double(asInt());
}

bool Value::truthy() const
{
    if (isUndefined() || isNone()) return false;
    if (isBool()) return asBool();
    if (isInt()) return asInt() != 0;
    if (isFloat()) return asNumber() != 0.0;
    if (isString()) return !asString().empty();
    if (isList()) return !asList().empty();
    if (isDict()) return !asDict().entries.empty();
    return true;
}

std::string Value::str() const
{
    if (isUndefined()) return "";
    if (isString()) return asString();
    return repr();
}

std::string Value::repr() const
{
    if (isUndefined()) return "";
    if (isNone()) return "None";
    if (isBool()) return asBool() ? "True" : "False";
    if (isInt()) return std::to_string(asInt());
    if (isFloat()) return pythonFloat(asNumber());
    if (isString()) return pythonStringRepr(asString());
    if (isList()) {
        std::string out = "[";
        for (size_t i = 0; i < asList().size(); ++i)
            out += (i ? ", " : "") + asList()[i].repr();
        return out + "]";
    }
    if (isDict()) {
        if (asDict().mutableNamespace) return "<Namespace>";
        std::string out = "{";
        for (size_t i = 0; i < asDict().entries.size(); ++i) {
            const auto& [key, value] = asDict().entries[i];
            out += (i ? ", " : "") + pythonStringRepr(key) + ": " + value.repr();
        }
        return out + "}";
    }
    return "<function>";
}

std::string Value::typeName() const
{
    if (isUndefined()) return "undefined";
    if (isNone()) return "none";
    if (isBool()) return "boolean";
    if (isInt()) return "integer";
    if (isFloat()) return "float";
    if (isString()) return "string";
    if (isList()) return "list";
    if (isDict()) return asDict().mutableNamespace ? "namespace" : "dict";
    return "function";
}

bool operator==(const Value& a, const Value& b)
{
    if (a.isNumber() && b.isNumber()) {
        if ((a.isInt() || a.isBool()) && (b.isInt() || b.isBool())) return a.asInt() == b.asInt();
        return a.asNumber() == b.asNumber();
    }
    if (a.isString() && b.isString()) return a.asString() == b.asString();
    if (a.isNone() && b.isNone()) return true;
    if (a.isUndefined() && b.isUndefined()) return true;
    if (a.isList() && b.isList()) {
        const List &x = a.asList(), &y = b.asList();
        return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
    }
    if (a.isDict() && b.isDict()) {
        const Dict &x = a.asDict(), &y = b.asDict();
        if (x.entries.size() != y.entries.size()) return false;
        for (const auto& [key, value] : x.entries) {
            const Value* other = y.find(key);
            if (!other || !(*other == value)) return false;
        }
        return true;
    }
    return false;
}

bool lessThan(const Value& a, const Value& b)
{
    if (a.isNumber() && b.isNumber()) return a.asNumber() < b.asNumber();
    if (a.isString() && b.isString()) return a.asString() < b.asString();
    if (a.isList() && b.isList())
        return std::lexicographical_compare(a.asList().begin(), a.asList().end(),
                                            b.asList().begin(), b.asList().end(), lessThan);
    throw Error("'<' not supported between " + a.typeName() + " and " + b.typeName());
}

std::string toPythonJson(const Value& value, int indent, bool sortKeys)
{
    std::string out;
    dumpJson(value, indent, sortKeys, 0, out);
    return out;
}

} // namespace rlhf::chat::jinja
