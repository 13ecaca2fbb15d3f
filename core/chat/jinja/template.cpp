#include "core/chat/jinja/template.h"

#include "core/chat/jinja/builtins.h"
#include "core/chat/jinja/parser.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

namespace rlhf::chat::jinja {

namespace {

constexpr size_t maxOutputBytes = size_t(64) << 20; // a bound on a runaway template
constexpr int maxDepth = 64;                        // macro calls within macro calls

enum class Flow { Normal, Break, Continue };

class Renderer {
public:
    explicit Renderer(const nlohmann::ordered_json& context)
    {
        if (!context.is_object()) throw Error("chat template context must be a JSON object");
        m_scopes.emplace_back();
        for (const auto& item : context.items())
            m_scopes.front()[item.key()] = Value::fromJson(item.value());
    }

    Rendered run(const Body& body)
    {
        renderBody(body);
        return std::move(m_out);
    }

private:
    using Scope = std::map<std::string, Value>;

    [[noreturn]] static void fail(int line, const std::string& message)
    {
        throw Error("chat template line " + std::to_string(line) + ": " + message);
    }

    void write(const std::string& text, int line)
    {
        m_out.text += text;
        if (m_out.text.size() > maxOutputBytes)
            fail(line, "the output passed " + std::to_string(maxOutputBytes >> 20) + " MB");
    }

    Value lookup(const std::string& name) const
    {
        for (auto scope = m_scopes.rbegin(); scope != m_scopes.rend(); ++scope) {
            const auto found = scope->find(name);
            if (found != scope->end()) return found->second;
        }
        return globalFunction(name);
    }

    Flow renderBody(const Body& body)
    {
        for (const auto& node : body) {
            const Flow flow = renderNode(*node);
            if (flow != Flow::Normal) return flow;
        }
        return Flow::Normal;
    }

    Flow renderNode(const Node& node)
    {
        switch (node.kind) {
        case Node::Kind::Text:
            write(node.text, node.line);
            return Flow::Normal;
        case Node::Kind::Output:
            write(evaluate(*node.expr).str(), node.line);
            return Flow::Normal;
        case Node::Kind::If:
            for (const auto& [condition, body] : node.branches)
                if (evaluate(*condition).truthy()) return renderBody(body);
            return renderBody(node.elseBody);
        case Node::Kind::For:
            return renderFor(node);
        case Node::Kind::Set:
            renderSet(node);
            return Flow::Normal;
        case Node::Kind::Break:
            return Flow::Break;
        case Node::Kind::Continue:
            return Flow::Continue;
        case Node::Kind::Macro:
            defineMacro(node);
            return Flow::Normal;
        case Node::Kind::Generation: {
            const size_t begin = m_out.text.size();
            const Flow flow = renderBody(node.body);
            m_out.generation.emplace_back(begin, m_out.text.size());
            return flow;
        }
        }
        return Flow::Normal;
    }

    void renderSet(const Node& node)
    {
        Value value;
        if (node.expr) {
            value = evaluate(*node.expr);
        } else { // {% set name %}...{% endset %}: the rendered block
            const size_t begin = m_out.text.size();
            renderBody(node.body);
            value = Value(m_out.text.substr(begin));
            m_out.text.resize(begin);
        }
        if (node.targets.size() == 1) {
            m_scopes.back()[node.targets[0]] = std::move(value);
            return;
        }
        const Value object = lookup(node.targets[0]);
        if (!object.isDict() || !object.asDict().mutableNamespace)
            fail(node.line, "'" + node.targets[0] + "' is not a namespace(): cannot set its '" +
                                node.targets[1] + "'");
        object.mutableDict().set(node.targets[1], std::move(value));
    }

    Flow renderFor(const Node& node)
    {
        const Value iterable = evaluate(*node.expr);
        if (!iterable.isList() && !iterable.isDict() && !iterable.isString() &&
            !iterable.isUndefined())
            fail(node.line, iterable.typeName() + " is not iterable");
        List items;
        if (iterable.isList())
            items = iterable.asList();
        else if (iterable.isDict())
            for (const auto& entry : iterable.asDict().entries)
                items.emplace_back(entry.first);
        else if (iterable.isString())
            for (auto& point : codePoints(iterable.asString()))
                items.emplace_back(point);

        m_scopes.emplace_back();
        auto bind = [&](const Value& item) {
            if (node.targets.size() == 1) {
                m_scopes.back()[node.targets[0]] = item;
                return;
            }
            if (!item.isList() || item.asList().size() != node.targets.size())
                fail(node.line, "cannot unpack " + item.repr() + " into " +
                                    std::to_string(node.targets.size()) + " names");
            for (size_t i = 0; i < node.targets.size(); ++i)
                m_scopes.back()[node.targets[i]] = item.asList()[i];
        };
        if (node.condition) { // "for x in xs if cond": the loop sees only the items that pass
            List kept;
            for (const Value& item : items) {
                bind(item);
                if (evaluate(*node.condition).truthy()) kept.push_back(item);
            }
            items = std::move(kept);
        }
        const int64_t length = int64_t(items.size());
        for (int64_t index = 0; index < length; ++index) {
            bind(items[size_t(index)]);
            Dict loop;
            loop.set("index", Value(index + 1));
            loop.set("index0", Value(index));
            loop.set("revindex", Value(length - index));
            loop.set("revindex0", Value(length - index - 1));
            loop.set("first", Value(index == 0));
            loop.set("last", Value(index == length - 1));
            loop.set("length", Value(length));
            loop.set("previtem",
                     index > 0 ? items[size_t(index - 1)] : Value::undefined("previtem"));
            loop.set("nextitem",
                     index + 1 < length ? items[size_t(index + 1)] : Value::undefined("nextitem"));
            loop.set("cycle", Value(Function([index](const Arguments& arguments) {
                         if (arguments.positional.empty()) throw Error("loop.cycle() needs values");
                         return arguments.positional[size_t(index) % arguments.positional.size()];
                     })));
            m_scopes.back()["loop"] = Value(std::move(loop));
            if (renderBody(node.body) == Flow::Break) break;
        }
        m_scopes.pop_back();
        if (length == 0) return renderBody(node.elseBody);
        return Flow::Normal;
    }

    void defineMacro(const Node& node)
    {
        const Node* macro = &node;
        m_scopes.back()[node.targets[0]] =
            Value(Function([this, macro](const Arguments& arguments) {
                if (++m_depth > maxDepth) fail(macro->line, "macros nested too deep");
                Scope scope;
                for (size_t i = 0; i < macro->parameters.size(); ++i) {
                    const auto& [name, fallback] = macro->parameters[i];
                    if (const Value* keyword = arguments.keyword(name))
                        scope[name] = *keyword;
                    else if (i < arguments.positional.size())
                        scope[name] = arguments.positional[i];
                    else
                        scope[name] = fallback ? evaluate(*fallback) : Value::undefined(name);
                }
                // The macro sees the template's top-level names and its parameters.
                std::vector<Scope> saved(m_scopes.begin() + 1, m_scopes.end());
                m_scopes.resize(1);
                m_scopes.push_back(std::move(scope));
                const size_t begin = m_out.text.size();
                renderBody(macro->body);
                std::string text = m_out.text.substr(begin);
                m_out.text.resize(begin);
                m_scopes.resize(1);
                m_scopes.insert(m_scopes.end(), saved.begin(), saved.end());
                --m_depth;
                return Value(std::move(text));
            }));
    }

    Arguments evaluateArguments(const Expr& call, size_t first)
    {
        Arguments arguments;
        const size_t keywordStart = call.children.size() - call.keywords.size();
        for (size_t i = first; i < keywordStart; ++i)
            arguments.positional.push_back(evaluate(*call.children[i]));
        for (size_t i = 0; i < call.keywords.size(); ++i)
            arguments.keywords.emplace_back(call.keywords[i],
                                            evaluate(*call.children[keywordStart + i]));
        return arguments;
    }

    static void requireDefined(const Value& value, int line)
    {
        if (value.isUndefined()) fail(line, "'" + value.undefinedName() + "' is undefined");
    }

    Value evaluate(const Expr& expr)
    {
        try {
            return evaluateUnchecked(expr);
        } catch (const Error& error) {
            const std::string message = error.what();
            if (message.starts_with("chat template line") ||
                message.starts_with("the chat template raised"))
                throw;
            fail(expr.line, message);
        }
    }

    Value evaluateUnchecked(const Expr& expr)
    {
        switch (expr.kind) {
        case Expr::Kind::Literal:
            return expr.value;
        case Expr::Kind::Name:
            return lookup(expr.name);
        case Expr::Kind::List: {
            List list;
            for (const auto& child : expr.children)
                list.push_back(evaluate(*child));
            return Value(list);
        }
        case Expr::Kind::Dict: {
            Dict dict;
            for (size_t i = 0; i + 1 < expr.children.size(); i += 2) {
                const Value key = evaluate(*expr.children[i]);
                if (!key.isString()) fail(expr.line, "dict keys must be strings here");
                dict.set(key.asString(), evaluate(*expr.children[i + 1]));
            }
            return Value(dict);
        }
        case Expr::Kind::Attribute: {
            const Value object = evaluate(*expr.children[0]);
            requireDefined(object, expr.line);
            return memberOf(object, expr.name);
        }
        case Expr::Kind::Subscript:
            return subscript(evaluate(*expr.children[0]), evaluate(*expr.children[1]), expr.line);
        case Expr::Kind::Slice:
            return slice(expr);
        case Expr::Kind::Call: {
            const Value callee = evaluate(*expr.children[0]);
            requireDefined(callee, expr.line);
            if (!callee.isCallable()) fail(expr.line, callee.typeName() + " is not callable");
            return callee.asFunction()(evaluateArguments(expr, 1));
        }
        case Expr::Kind::Filter:
            return applyFilter(expr.name, evaluate(*expr.children[0]), evaluateArguments(expr, 1));
        case Expr::Kind::Test:
            return Value(applyTest(expr.name, evaluate(*expr.children[0]),
                                   evaluateArguments(expr, 1)) != expr.negated);
        case Expr::Kind::Unary: {
            const Value operand = evaluate(*expr.children[0]);
            if (expr.name == "not") return Value(!operand.truthy());
            if (!operand.isNumber())
                fail(expr.line, "unary " + expr.name + " of " + operand.typeName());
            if (expr.name == "+") return operand;
            if (operand.isFloat()) return Value(-operand.asNumber());
            int64_t negated = 0;
            if (__builtin_sub_overflow(int64_t(0), operand.asInt(), &negated))
                fail(expr.line, "integer overflow in unary -");
            return Value(negated);
        }
        case Expr::Kind::Binary:
            return binary(expr);
        case Expr::Kind::Conditional:
            if (evaluate(*expr.children[1]).truthy()) return evaluate(*expr.children[0]);
            return expr.children[2] ? evaluate(*expr.children[2]) : Value::undefined("else");
        }
        return Value();
    }

    static Value subscript(const Value& object, const Value& key, int line)
    {
        requireDefined(object, line);
        if (object.isDict()) {
            if (!key.isString()) return Value::undefined(key.repr());
            const Value* found = object.asDict().find(key.asString());
            return found ? *found : Value::undefined(key.asString());
        }
        if (object.isList() || object.isString()) {
            if (!key.isInt()) fail(line, "indices must be integers, got " + key.typeName());
            const auto points =
                object.isString() ? codePoints(object.asString()) : std::vector<std::string>();
            const int64_t size =
                object.isList() ? int64_t(object.asList().size()) : int64_t(points.size());
            int64_t index = key.asInt();
            if (index < 0) index += size;
            if (index < 0 || index >= size) return Value::undefined("[" + key.repr() + "]");
            return object.isList() ? object.asList()[size_t(index)] : Value(points[size_t(index)]);
        }
        return Value::undefined("[" + key.repr() + "]");
    }

    Value slice(const Expr& expr)
    {
        const Value object = evaluate(*expr.children[0]);
        requireDefined(object, expr.line);
        auto bound = [&](int child) -> std::optional<int64_t> {
            if (!expr.children[size_t(child)]) return std::nullopt;
            const Value value = evaluate(*expr.children[size_t(child)]);
            if (value.isNone()) return std::nullopt;
            if (!value.isInt()) fail(expr.line, "slice bounds must be integers");
            return value.asInt();
        };
        const auto start = bound(1), stop = bound(2), step = bound(3);
        const int64_t by = step.value_or(1);
        if (by == 0) fail(expr.line, "slice step cannot be zero");
        List items;
        std::vector<std::string> points;
        if (object.isList())
            items = object.asList();
        else if (object.isString())
            points = codePoints(object.asString());
        else
            fail(expr.line, object.typeName() + " cannot be sliced");
        const int64_t size = object.isList() ? int64_t(items.size()) : int64_t(points.size());
        // Python's slice.indices()
        auto clamp = [&](std::optional<int64_t> value, int64_t fallback) {
            if (!value) return fallback;
            int64_t v = *value < 0 ? *value + size : *value;
            if (by > 0) return std::clamp<int64_t>(v, 0, size);
            return std::clamp<int64_t>(v, -1, size - 1);
        };
        const int64_t from = clamp(start, by > 0 ? 0 : size - 1);
        const int64_t to = clamp(stop, by > 0 ? size : -1);
        List outList;
        std::string outText;
        for (int64_t i = from; by > 0 ? i < to : i > to; i += by) {
            if (object.isList())
                outList.push_back(items[size_t(i)]);
            else
                outText += points[size_t(i)];
        }
        return object.isList() ? Value(outList) : Value(outText);
    }

    Value binary(const Expr& expr)
    {
        const std::string& op = expr.name;
        if (op == "and") {
            Value left = evaluate(*expr.children[0]);
            return left.truthy() ? evaluate(*expr.children[1]) : left;
        }
        if (op == "or") {
            Value left = evaluate(*expr.children[0]);
            return left.truthy() ? left : evaluate(*expr.children[1]);
        }
        const Value a = evaluate(*expr.children[0]);
        const Value b = evaluate(*expr.children[1]);
        if (op == "~") return Value(a.str() + b.str());
        if (op == "==") return Value(a == b);
        if (op == "!=") return Value(!(a == b));
        if (op == "<") return Value(lessThan(a, b));
        if (op == ">") return Value(lessThan(b, a));
        if (op == "<=") return Value(!lessThan(b, a));
        if (op == ">=") return Value(!lessThan(a, b));
        if (op == "in" || op == "not in") {
            Arguments arguments;
            arguments.positional.push_back(b);
            return Value(applyTest("in", a, arguments) == (op == "in"));
        }
        if (op == "+") {
            if (a.isString() && b.isString()) return Value(a.asString() + b.asString());
            if (a.isList() && b.isList()) {
                List joined = a.asList();
                joined.insert(joined.end(), b.asList().begin(), b.asList().end());
                return Value(joined);
            }
        }
        if (op == "*" && a.isString() && b.isInt()) {
            std::string out;
            for (int64_t i = 0; i < b.asInt(); ++i) {
                out += a.asString();
                if (out.size() > maxOutputBytes) fail(expr.line, "a string repeated too often");
            }
            return Value(out);
        }
        if (!a.isNumber() || !b.isNumber())
            fail(expr.line, "unsupported operand types for " + op + ": " + a.typeName() + " and " +
                                b.typeName());
        const bool integers = !a.isFloat() && !b.isFloat();
        if (op == "/") {
            if (b.asNumber() == 0) fail(expr.line, "division by zero");
            return Value(a.asNumber() / b.asNumber());
        }
        if (integers) { // Python's integers do not overflow; these say so instead of wrapping
            const int64_t x = a.asInt(), y = b.asInt();
            int64_t result = 0;
            auto checked = [&](bool overflowed) {
                if (overflowed) fail(expr.line, "integer overflow in " + op);
                return Value(result);
            };
            if (op == "+") return checked(__builtin_add_overflow(x, y, &result));
            if (op == "-") return checked(__builtin_sub_overflow(x, y, &result));
            if (op == "*") return checked(__builtin_mul_overflow(x, y, &result));
            if ((op == "//" || op == "%") && y == 0) fail(expr.line, "division by zero");
            if ((op == "//" || op == "%") && y == -1) { // the one quotient that can overflow
                if (op == "%") return Value(int64_t(0));
                return checked(__builtin_sub_overflow(int64_t(0), x, &result));
            }
            if (op == "//" || op == "%") {
                const int64_t floorDiv = x / y - ((x % y != 0) && ((x < 0) != (y < 0)) ? 1 : 0);
                return op == "//" ? Value(floorDiv) : Value(x - floorDiv * y);
            }
            if (op == "**" && y >= 0) {
                if (y == 0) return Value(int64_t(1));
                if (x == 0 || x == 1) return Value(x);
                if (x == -1) return Value(int64_t(y % 2 ? -1 : 1));
                result = 1; // |x| >= 2 overflows within 64 steps
                for (int64_t i = 0; i < y; ++i)
                    if (__builtin_mul_overflow(result, x, &result))
                        fail(expr.line, "integer overflow in **");
                return Value(result);
            }
        }
        const double x = a.asNumber(), y = b.asNumber();
        if (op == "+") return Value(x + y);
        if (op == "-") return Value(x - y);
        if (op == "*") return Value(x * y);
        if (op == "**") return Value(std::pow(x, y));
        if (y == 0) fail(expr.line, "division by zero");
        if (op == "//") return Value(std::floor(x / y));
        if (op == "%") return Value(x - std::floor(x / y) * y);
        fail(expr.line, "unknown operator " + op);
    }

    std::vector<Scope> m_scopes;
    Rendered m_out;
    int m_depth = 0;
};

} // namespace

Template::Template(std::string_view source) : m_body(parse(tokenize(source))) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

Rendered Template::render(const nlohmann::ordered_json& context) const
{
    return Renderer(context).run(m_body);
}

} // namespace rlhf::chat::jinja
