// The values a chat template computes with, as Python's jinja2 sees them: undefined, None,
// booleans, integers, floats, strings, lists, dicts (insertion-ordered, as JSON objects and
// Python dicts are), namespaces (the one mutable object templates use) and callables. Rendering
// and comparison follow Python (str(True) is "True", 1 == 1.0, "a" < "b"), so that a template
// renders here byte for byte as in transformers' apply_chat_template. Torch-free, Qt-free.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace rlhf::chat::jinja {

class Value;

struct Undefined {
    std::string name; // what was looked up, for the message when it is used
};
using List = std::vector<Value>;
// A dict, or a namespace() when `mutableNamespace` (the only object `set a.b = ...` may change).
struct Dict {
    std::vector<std::pair<std::string, Value>> entries;
    bool mutableNamespace = false;

    const Value* find(const std::string& key) const;
    void set(const std::string& key, Value value);
};
// Positional and keyword arguments of a call.
struct Arguments {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keywords;

    const Value* keyword(const std::string& name) const;
};
using Function = std::function<Value(const Arguments&)>;

class Value {
public:
    using Storage =
        std::variant<Undefined, std::nullptr_t, bool, int64_t, double, std::string,
                     std::shared_ptr<List>, std::shared_ptr<Dict>, std::shared_ptr<Function>>;

    Value() = default; // undefined
    Value(std::nullptr_t) : m_storage(nullptr) {}
    Value(bool value) : m_storage(value) {}
    Value(int value) : m_storage(int64_t(value)) {}
    Value(int64_t value) : m_storage(value) {}
    Value(double value) : m_storage(value) {}
    Value(std::string value) : m_storage(std::move(value)) {}
    Value(const char* value) : m_storage(std::string(value)) {}
    Value(List value) : m_storage(std::make_shared<List>(std::move(value))) {}
    Value(Dict value) : m_storage(std::make_shared<Dict>(std::move(value))) {}
    Value(Function value) : m_storage(std::make_shared<Function>(std::move(value))) {}
    static Value undefined(std::string name) { return Value(Undefined{std::move(name)}); }
    // JSON objects keep their order, as Python dicts do (tojson writes keys in that order).
    static Value fromJson(const nlohmann::ordered_json& json);

    bool isUndefined() const { return std::holds_alternative<Undefined>(m_storage); }
    bool isNone() const { return std::holds_alternative<std::nullptr_t>(m_storage); }
    bool isBool() const { return std::holds_alternative<bool>(m_storage); }
    bool isInt() const { return std::holds_alternative<int64_t>(m_storage); }
    bool isFloat() const { return std::holds_alternative<double>(m_storage); }
    bool isNumber() const { return isInt() || isFloat() || isBool(); }
    bool isString() const { return std::holds_alternative<std::string>(m_storage); }
    bool isList() const { return std::holds_alternative<std::shared_ptr<List>>(m_storage); }
    bool isDict() const { return std::holds_alternative<std::shared_ptr<Dict>>(m_storage); }
    bool isCallable() const { return std::holds_alternative<std::shared_ptr<Function>>(m_storage); }

    // The value as that type; rlhf::Error "expected an integer, got string" when it is another.
    bool asBool() const { return get<bool>("a boolean"); }
    int64_t asInt() const;   // bools and ints
    double asNumber() const; // bools, ints and floats
    const std::string& asString() const { return get<std::string>("a string"); }
    const List& asList() const { return *get<std::shared_ptr<List>>("a list"); }
    const Dict& asDict() const { return *get<std::shared_ptr<Dict>>("a dict"); }
    Dict& mutableDict() const { return *get<std::shared_ptr<Dict>>("a dict"); }
    const Function& asFunction() const { return *get<std::shared_ptr<Function>>("a function"); }
    const std::string& undefinedName() const { return get<Undefined>("undefined").name; }

    bool truthy() const;          // Python's bool(); undefined is false
    std::string str() const;      // Python's str(); undefined is ""
    std::string repr() const;     // Python's repr(): 'text', [1, 'a'], {'k': None}
    std::string typeName() const; // for messages: "string", "list", ...

private:
    explicit Value(Undefined undefined) : m_storage(std::move(undefined)) {}
    template <typename T> const T& get(const char* expected) const
    {
        if (const T* value = std::get_if<T>(&m_storage)) return *value;
        wrongType(expected);
    }
    [[noreturn]] void wrongType(const char* expected) const;
    Storage m_storage;
};

bool operator==(const Value& a, const Value& b); // Python's ==
// Python's <, for numbers with numbers and strings with strings; throws rlhf::Error otherwise.
bool lessThan(const Value& a, const Value& b);

// Python's json.dumps(value, ensure_ascii=False, indent=indent) (indent < 0: on one line with
// ", " and ": "), as transformers' tojson filter calls it.
std::string toPythonJson(const Value& value, int indent = -1, bool sortKeys = false);

} // namespace rlhf::chat::jinja
