#include "core/chat/jinja/builtins.h"

#include "core/util/error.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <ctime>

namespace rlhf::chat::jinja {

namespace {

constexpr const char* whitespace = " \t\n\r\f\v";
constexpr int64_t maxRange = 1'000'000; // a template never needs more; this bounds a bad one

// The argument by keyword or position, else `fallback` (a copy: fallbacks are temporaries).
Value argument(const Arguments& arguments, size_t index, const char* name, const Value& fallback)
{
    if (const Value* keyword = arguments.keyword(name)) return *keyword;
    return index < arguments.positional.size() ? arguments.positional[index] : fallback;
}

std::string requireString(const Value& value, const std::string& what)
{
    if (!value.isString()) throw Error(what + " needs a string, got " + value.typeName());
    return value.asString();
}

std::string lower(std::string text)
{
    for (char& c : text)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string upper(std::string text)
{
    for (char& c : text)
        c = char(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

std::string capitalize(const std::string& text)
{
    std::string out = lower(text);
    if (!out.empty()) out[0] = char(std::toupper(static_cast<unsigned char>(out[0])));
    return out;
}

std::string title(const std::string& text)
{
    std::string out = text;
    bool start = true;
    for (char& c : out) {
        const bool letter = std::isalpha(static_cast<unsigned char>(c));
        c = char(start ? std::toupper(static_cast<unsigned char>(c))
                       : std::tolower(static_cast<unsigned char>(c)));
        start = !letter;
    }
    return out;
}

std::string replaceAll(const std::string& text, const std::string& from, const std::string& to,
                       int64_t count)
{
    if (from.empty()) return text;
    std::string out;
    size_t pos = 0;
    for (int64_t done = 0; count < 0 || done < count; ++done) {
        const size_t found = text.find(from, pos);
        if (found == std::string::npos) break;
        out += text.substr(pos, found - pos) + to;
        pos = found + from.size();
    }
    return out + text.substr(pos);
}

List split(const std::string& text, const Value& separator, int64_t maxSplit)
{
    List parts;
    if (separator.isNone() || separator.isUndefined()) { // runs of whitespace
        size_t pos = text.find_first_not_of(whitespace);
        while (pos != std::string::npos) {
            if (maxSplit >= 0 && int64_t(parts.size()) == maxSplit) {
                parts.emplace_back(stripped(text.substr(pos), "", false, true));
                return parts;
            }
            const size_t end = text.find_first_of(whitespace, pos);
            parts.emplace_back(text.substr(pos, end == std::string::npos ? end : end - pos));
            pos = end == std::string::npos ? end : text.find_first_not_of(whitespace, end);
        }
        return parts;
    }
    const std::string sep = requireString(separator, "split");
    if (sep.empty()) throw Error("split: empty separator");
    size_t pos = 0;
    while (true) {
        const size_t found = text.find(sep, pos);
        if (found == std::string::npos || (maxSplit >= 0 && int64_t(parts.size()) == maxSplit)) {
            parts.emplace_back(text.substr(pos));
            return parts;
        }
        parts.emplace_back(text.substr(pos, found - pos));
        pos = found + sep.size();
    }
}

List iterate(const Value& value, const std::string& what)
{
    if (value.isList()) return value.asList();
    if (value.isDict()) {
        List keys;
        for (const auto& entry : value.asDict().entries)
            keys.emplace_back(entry.first);
        return keys;
    }
    if (value.isString()) {
        List characters;
        for (auto& point : codePoints(value.asString()))
            characters.emplace_back(point);
        return characters;
    }
    if (value.isUndefined()) return {};
    throw Error(what + ": " + value.typeName() + " is not iterable");
}

Value attributeOf(const Value& item, const std::string& path)
{
    Value current = item;
    size_t pos = 0;
    while (pos <= path.size()) {
        const size_t dot = path.find('.', pos);
        const std::string part = path.substr(pos, dot == std::string::npos ? dot : dot - pos);
        current = current.isDict() ? memberOf(current, part) : Value::undefined(part);
        if (dot == std::string::npos) break;
        pos = dot + 1;
    }
    return current;
}

Value boundMethod(Function function)
{
    return Value(std::move(function));
}

Value stringMethod(const std::string& text, const std::string& name)
{
    auto chars = [](const Arguments& arguments) {
        const Value& value = argument(arguments, 0, "chars", Value(nullptr));
        return value.isString() ? value.asString() : std::string();
    };
    if (name == "strip" || name == "lstrip" || name == "rstrip")
        return boundMethod([text, name, chars](const Arguments& arguments) {
            return Value(stripped(text, chars(arguments), name != "rstrip", name != "lstrip"));
        });
    if (name == "startswith" || name == "endswith")
        return boundMethod([text, name](const Arguments& arguments) {
            const Value& prefix = argument(arguments, 0, "prefix", Value());
            List options = prefix.isList() ? prefix.asList() : List{prefix};
            for (const Value& option : options) {
                const std::string affix = requireString(option, name);
                if (name == "startswith" ? text.starts_with(affix) : text.ends_with(affix))
                    return Value(true);
            }
            return Value(false);
        });
    if (name == "split")
        return boundMethod([text](const Arguments& arguments) {
            const Value& maxSplit = argument(arguments, 1, "maxsplit", Value(int64_t(-1)));
            return Value(
                split(text, argument(arguments, 0, "sep", Value(nullptr)), maxSplit.asInt()));
        });
    if (name == "upper")
        return boundMethod([text](const Arguments&) { return Value(upper(text)); });
    if (name == "lower")
        return boundMethod([text](const Arguments&) { return Value(lower(text)); });
    if (name == "title")
        return boundMethod([text](const Arguments&) { return Value(title(text)); });
    if (name == "capitalize")
        return boundMethod([text](const Arguments&) { return Value(capitalize(text)); });
    if (name == "replace")
        return boundMethod([text](const Arguments& arguments) {
            const Value& count = argument(arguments, 2, "count", Value(int64_t(-1)));
            return Value(replaceAll(
                text, requireString(argument(arguments, 0, "old", Value()), "replace"),
                requireString(argument(arguments, 1, "new", Value()), "replace"), count.asInt()));
        });
    if (name == "find")
        return boundMethod([text](const Arguments& arguments) {
            const size_t found =
                text.find(requireString(argument(arguments, 0, "sub", Value()), "find"));
            return Value(found == std::string::npos
                             ? int64_t(-1)
                             : int64_t(codePoints(text.substr(0, found)).size()));
        });
    if (name == "join")
        return boundMethod([text](const Arguments& arguments) {
            std::string out;
            const List items = iterate(argument(arguments, 0, "iterable", Value()), "join");
            for (size_t i = 0; i < items.size(); ++i)
                out += (i ? text : "") + requireString(items[i], "str.join");
            return Value(out);
        });
    if (name == "count")
        return boundMethod([text](const Arguments& arguments) {
            const std::string sub = requireString(argument(arguments, 0, "sub", Value()), "count");
            int64_t count = 0;
            for (size_t pos = text.find(sub); !sub.empty() && pos != std::string::npos;
                 pos = text.find(sub, pos + sub.size()))
                ++count;
            return Value(count);
        });
    return Value::undefined(name);
}

Value dictMethod(const Value& dict, const std::string& name)
{
    if (name == "items")
        return boundMethod([dict](const Arguments&) {
            List items;
            for (const auto& [key, value] : dict.asDict().entries)
                items.emplace_back(List{Value(key), value});
            return Value(items);
        });
    if (name == "keys")
        return boundMethod([dict](const Arguments&) { return Value(iterate(dict, "keys")); });
    if (name == "values")
        return boundMethod([dict](const Arguments&) {
            List values;
            for (const auto& entry : dict.asDict().entries)
                values.push_back(entry.second);
            return Value(values);
        });
    if (name == "get")
        return boundMethod([dict](const Arguments& arguments) {
            const Value& key = argument(arguments, 0, "key", Value());
            const Value* found = key.isString() ? dict.asDict().find(key.asString()) : nullptr;
            return found ? *found : argument(arguments, 1, "default", Value(nullptr));
        });
    return Value::undefined(name);
}

} // namespace

std::vector<std::string> codePoints(const std::string& text)
{
    std::vector<std::string> points;
    for (size_t i = 0; i < text.size();) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        size_t length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        length = std::min(length, text.size() - i);
        points.push_back(text.substr(i, length));
        i += length;
    }
    return points;
}

std::string stripped(const std::string& text, const std::string& chars, bool left, bool right)
{
    const std::string set = chars.empty() ? std::string(whitespace) : chars;
    size_t begin = 0, end = text.size();
    if (left)
        while (begin < end && set.find(text[begin]) != std::string::npos)
            ++begin;
    if (right)
        while (end > begin && set.find(text[end - 1]) != std::string::npos)
            --end;
    return text.substr(begin, end - begin);
}

Value memberOf(const Value& object, const std::string& name)
{
    if (object.isDict()) {
        if (const Value* found = object.asDict().find(name)) return *found;
        if (!object.asDict().mutableNamespace) {
            Value method = dictMethod(object, name);
            if (!method.isUndefined()) return method;
        }
        return Value::undefined(name);
    }
    if (object.isString()) return stringMethod(object.asString(), name);
    return Value::undefined(name);
}

Value applyFilter(const std::string& name, const Value& input, const Arguments& arguments)
{
    auto positional = [&](size_t index, const char* keyword, const Value& fallback) {
        return argument(arguments, index, keyword, fallback);
    };
    if (name == "trim") {
        const Value& chars = positional(0, "chars", Value(nullptr));
        return Value(stripped(input.str(), chars.isString() ? chars.asString() : "", true, true));
    }
    if (name == "length" || name == "count") {
        if (input.isString()) return Value(int64_t(codePoints(input.asString()).size()));
        if (input.isDict()) return Value(int64_t(input.asDict().entries.size()));
        return Value(int64_t(iterate(input, name).size()));
    }
    if (name == "upper") return Value(upper(input.str()));
    if (name == "lower") return Value(lower(input.str()));
    if (name == "title") return Value(title(input.str()));
    if (name == "capitalize") return Value(capitalize(input.str()));
    if (name == "string") return Value(input.str());
    if (name == "safe" || name == "e" || name == "escape") {
        if (name != "safe") throw Error("filter '" + name + "': autoescaping is not supported");
        return input;
    }
    if (name == "tojson") {
        const Value& indent = positional(0, "indent", Value(nullptr));
        const Value& sortKeys = positional(2, "sort_keys", Value(false));
        return Value(
            toPythonJson(input, indent.isNone() ? -1 : int(indent.asInt()), sortKeys.truthy()));
    }
    if (name == "default" || name == "d") {
        const bool boolean = positional(1, "boolean", Value(false)).truthy();
        const bool missing = boolean ? !input.truthy() : input.isUndefined();
        return missing ? positional(0, "default_value", Value("")) : input;
    }
    if (name == "first" || name == "last") {
        const List items = iterate(input, name);
        if (items.empty()) return Value::undefined(name);
        return name == "first" ? items.front() : items.back();
    }
    if (name == "list") return Value(iterate(input, name));
    if (name == "reverse") {
        if (input.isString()) {
            auto points = codePoints(input.asString());
            std::string out;
            for (auto it = points.rbegin(); it != points.rend(); ++it)
                out += *it;
            return Value(out);
        }
        List items = iterate(input, name);
        std::reverse(items.begin(), items.end());
        return Value(items);
    }
    if (name == "items") {
        if (input.isUndefined()) return Value(List{});
        if (!input.isDict()) throw Error("filter 'items' needs a dict, got " + input.typeName());
        return memberOf(input, "items").asFunction()({});
    }
    if (name == "join") {
        const std::string separator = positional(0, "d", Value("")).str();
        const Value& attribute = positional(1, "attribute", Value(nullptr));
        std::string out;
        const List items = iterate(input, name);
        for (size_t i = 0; i < items.size(); ++i)
            out += (i ? separator : "") +
                   (attribute.isString() ? attributeOf(items[i], attribute.asString()) : items[i])
                       .str();
        return Value(out);
    }
    if (name == "replace") {
        const Value& count = positional(2, "count", Value(nullptr));
        return Value(replaceAll(input.str(), positional(0, "old", Value("")).str(),
                                positional(1, "new", Value("")).str(),
                                count.isNone() ? -1 : count.asInt()));
    }
    if (name == "int") {
        if (input.isInt() || input.isBool()) return Value(input.asInt());
        if (input.isFloat()) {
            const double number = std::trunc(input.asNumber());
            if (!(std::fabs(number) < 9.2e18))
                throw Error("int: " + input.repr() + " is out of range");
            return Value(int64_t(number));
        }
        try {
            return Value(int64_t(std::stoll(input.str())));
        } catch (const std::exception&) {
            return positional(0, "default", Value(int64_t(0)));
        }
    }
    if (name == "float") {
        if (input.isNumber()) return Value(input.asNumber());
        try {
            return Value(std::stod(input.str()));
        } catch (const std::exception&) {
            return positional(0, "default", Value(0.0));
        }
    }
    if (name == "abs") {
        if (input.isInt() && input.asInt() == INT64_MIN) throw Error("abs: integer overflow");
        if (input.isInt()) return Value(int64_t(std::llabs(input.asInt())));
        return Value(std::fabs(input.asNumber()));
    }
    if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject") {
        const bool byAttribute = name.ends_with("attr");
        const bool keep = name.starts_with("select");
        List kept;
        const size_t testIndex = byAttribute ? 1 : 0;
        for (const Value& item : iterate(input, name)) {
            const Value subject =
                byAttribute ? attributeOf(item, positional(0, "attribute", Value("")).str()) : item;
            bool passes;
            if (arguments.positional.size() > testIndex) {
                Arguments testArguments;
                testArguments.positional.assign(arguments.positional.begin() + long(testIndex) + 1,
                                                arguments.positional.end());
                passes = applyTest(arguments.positional[testIndex].str(), subject, testArguments);
            } else {
                passes = subject.truthy();
            }
            if (passes == keep) kept.push_back(item);
        }
        return Value(kept);
    }
    if (name == "map") {
        List mapped;
        const Value* attribute = arguments.keyword("attribute");
        for (const Value& item : iterate(input, name)) {
            if (attribute) {
                Value value = attributeOf(item, attribute->str());
                if (value.isUndefined())
                    if (const Value* fallback = arguments.keyword("default")) value = *fallback;
                mapped.push_back(value);
            } else if (!arguments.positional.empty()) {
                Arguments rest;
                rest.positional.assign(arguments.positional.begin() + 1,
                                       arguments.positional.end());
                mapped.push_back(applyFilter(arguments.positional[0].str(), item, rest));
            } else {
                throw Error("filter 'map' needs a filter name or attribute=");
            }
        }
        return Value(mapped);
    }
    if (name == "unique") {
        List unique;
        for (const Value& item : iterate(input, name))
            if (std::find(unique.begin(), unique.end(), item) == unique.end())
                unique.push_back(item);
        return Value(unique);
    }
    throw Error("the filter '" + name + "' is not supported in chat templates here");
}

bool applyTest(const std::string& name, const Value& value, const Arguments& arguments)
{
    const Value& other = argument(arguments, 0, "other", Value());
    if (name == "defined") return !value.isUndefined();
    if (name == "undefined") return value.isUndefined();
    if (name == "none") return value.isNone();
    if (name == "string") return value.isString();
    if (name == "number") return value.isInt() || value.isFloat();
    if (name == "integer") return value.isInt();
    if (name == "float") return value.isFloat();
    if (name == "boolean") return value.isBool();
    if (name == "true") return value.isBool() && value.asBool();
    if (name == "false") return value.isBool() && !value.asBool();
    if (name == "mapping") return value.isDict();
    if (name == "iterable") return value.isList() || value.isDict() || value.isString();
    if (name == "sequence") return value.isList() || value.isDict() || value.isString();
    if (name == "callable") return value.isCallable();
    if (name == "eq" || name == "equalto" || name == "==" || name == "sameas")
        return value == other;
    if (name == "ne" || name == "!=") return !(value == other);
    if (name == "lt" || name == "lessthan" || name == "<") return lessThan(value, other);
    if (name == "gt" || name == "greaterthan" || name == ">") return lessThan(other, value);
    if (name == "in") {
        if (other.isString())
            return value.isString() && other.asString().find(value.asString()) != std::string::npos;
        const List items = iterate(other, "in");
        return std::find(items.begin(), items.end(), value) != items.end();
    }
    if (name == "odd" || name == "even") {
        if (!value.isInt()) throw Error("test '" + name + "' needs an integer");
        return (value.asInt() % 2 != 0) == (name == "odd");
    }
    if (name == "divisibleby") {
        const int64_t divisor = other.asInt();
        return divisor == -1 || (divisor != 0 && value.asInt() % divisor == 0);
    }
    if (name == "lower") return value.isString() && lower(value.asString()) == value.asString();
    if (name == "upper") return value.isString() && upper(value.asString()) == value.asString();
    throw Error("the test '" + name + "' is not supported in chat templates here");
}

Value globalFunction(const std::string& name)
{
    if (name == "range")
        return Value(Function([](const Arguments& arguments) {
            std::vector<int64_t> bounds;
            for (const Value& value : arguments.positional) {
                if (!value.isInt()) throw Error("range() needs integers, got " + value.typeName());
                bounds.push_back(value.asInt());
            }
            if (bounds.empty() || bounds.size() > 3) throw Error("range() takes 1 to 3 integers");
            const int64_t start = bounds.size() > 1 ? bounds[0] : 0;
            const int64_t stop = bounds.size() > 1 ? bounds[1] : bounds[0];
            const int64_t step = bounds.size() > 2 ? bounds[2] : 1;
            if (step == 0) throw Error("range() step must not be zero");
            List items;
            for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
                if (int64_t(items.size()) >= maxRange)
                    throw Error("range() longer than " + std::to_string(maxRange));
                items.emplace_back(i);
            }
            return Value(items);
        }));
    if (name == "namespace" || name == "dict")
        return Value(Function([name](const Arguments& arguments) {
            Dict dict;
            dict.mutableNamespace = name == "namespace";
            for (const auto& [key, value] : arguments.keywords)
                dict.set(key, value);
            return Value(dict);
        }));
    if (name == "raise_exception")
        return Value(Function([](const Arguments& arguments) -> Value {
            throw Error("the chat template raised: " +
                        argument(arguments, 0, "message", Value("")).str());
        }));
    if (name == "strftime_now")
        return Value(Function([](const Arguments& arguments) {
            const std::string format = argument(arguments, 0, "format", Value("")).str();
            const std::time_t now = std::time(nullptr);
            std::tm local{};
            localtime_r(&now, &local);
            char buffer[256];
            const size_t length = std::strftime(buffer, sizeof buffer, format.c_str(), &local);
            return Value(std::string(buffer, length));
        }));
    return Value::undefined(name);
}

} // namespace rlhf::chat::jinja
