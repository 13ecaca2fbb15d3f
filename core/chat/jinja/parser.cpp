#include "core/chat/jinja/parser.h"

#include "core/util/error.h"

#include <charconv>
#include <initializer_list>

namespace rlhf::chat::jinja {

namespace {

using Kind = Token::Kind;

constexpr int maxNesting = 200; // brackets, operators and blocks: a bound on the recursion

class Parser {
public:
    explicit Parser(const std::vector<Token>& tokens) : m_tokens(tokens) {}

    Body run()
    {
        Body body = parseBody({});
        if (peek().kind != Kind::End) fail("unexpected {% " + peekStatement() + " %}");
        return body;
    }

private:
    const Token& peek(size_t ahead = 0) const
    {
        return m_tokens[std::min(m_pos + ahead, m_tokens.size() - 1)];
    }
    const Token& next() { return m_tokens[std::min(m_pos++, m_tokens.size() - 1)]; }

    [[noreturn]] void fail(const std::string& message) const
    {
        throw Error("chat template line " + std::to_string(peek().line) + ": " + message);
    }

    bool isOperator(std::string_view op, size_t ahead = 0) const
    {
        return peek(ahead).kind == Kind::Operator && peek(ahead).text == op;
    }
    bool isName(std::string_view name, size_t ahead = 0) const
    {
        return peek(ahead).kind == Kind::Name && peek(ahead).text == name;
    }
    void expectOperator(std::string_view op)
    {
        if (!isOperator(op)) fail("expected '" + std::string(op) + "', got " + describe(peek()));
        ++m_pos;
    }
    void expectName(std::string_view name)
    {
        if (!isName(name)) fail("expected '" + std::string(name) + "', got " + describe(peek()));
        ++m_pos;
    }
    std::string identifier()
    {
        if (peek().kind != Kind::Name) fail("expected a name, got " + describe(peek()));
        return next().text;
    }
    void expectStatementEnd()
    {
        if (peek().kind != Kind::StmtEnd) fail("expected '%}', got " + describe(peek()));
        ++m_pos;
    }
    static std::string describe(const Token& token)
    {
        switch (token.kind) {
        case Kind::End:
            return "the end of the template";
        case Kind::StmtEnd:
            return "'%}'";
        case Kind::ExprEnd:
            return "'}}'";
        case Kind::String:
            return "a string";
        default:
            return "'" + token.text + "'";
        }
    }
    // The keyword of the statement at the cursor ({% keyword ... %}), or "".
    std::string peekStatement() const
    {
        return peek().kind == Kind::StmtBegin && peek(1).kind == Kind::Name ? peek(1).text : "";
    }

    // Statements until one whose keyword is in `stops` (left unread) or the end.
    Body parseBody(std::initializer_list<std::string_view> stops)
    {
        Body body;
        while (peek().kind != Kind::End) {
            const Token& token = peek();
            if (token.kind == Kind::Text) {
                auto node = std::make_unique<Node>(Node{Node::Kind::Text, token.line});
                node->text = token.text;
                body.push_back(std::move(node));
                ++m_pos;
            } else if (token.kind == Kind::ExprBegin) {
                ++m_pos;
                auto node = std::make_unique<Node>(Node{Node::Kind::Output, token.line});
                node->expr = expression();
                if (peek().kind != Kind::ExprEnd) fail("expected '}}', got " + describe(peek()));
                ++m_pos;
                body.push_back(std::move(node));
            } else if (token.kind == Kind::StmtBegin) {
                const std::string keyword = peekStatement();
                for (std::string_view stop : stops)
                    if (keyword == stop) return body;
                body.push_back(statement());
            } else {
                fail("unexpected " + describe(token));
            }
        }
        return body;
    }

    void expectEndTag(std::string_view name)
    {
        if (peekStatement() != name)
            fail("expected {% " + std::string(name) + " %}, got " +
                 (peek().kind == Kind::End ? "the end of the template" : describe(peek(1))));
        m_pos += 2;
        expectStatementEnd();
    }

    std::unique_ptr<Node> statement()
    {
        const Nested nested(*this);
        const int line = peek().line;
        m_pos += 1; // {%
        const std::string keyword = identifier();
        if (keyword == "if") return ifStatement(line);
        if (keyword == "for") return forStatement(line);
        if (keyword == "set") return setStatement(line);
        if (keyword == "macro") return macroStatement(line);
        if (keyword == "break" || keyword == "continue") {
            expectStatementEnd();
            return std::make_unique<Node>(
                Node{keyword == "break" ? Node::Kind::Break : Node::Kind::Continue, line});
        }
        if (keyword == "generation") {
            expectStatementEnd();
            auto node = std::make_unique<Node>(Node{Node::Kind::Generation, line});
            node->body = parseBody({"endgeneration"});
            expectEndTag("endgeneration");
            return node;
        }
        m_pos -= 1;
        fail("the statement '{% " + keyword + " %}' is not supported in chat templates here");
    }

    std::unique_ptr<Node> ifStatement(int line)
    {
        auto node = std::make_unique<Node>(Node{Node::Kind::If, line});
        ExprPtr condition = expression();
        expectStatementEnd();
        while (true) {
            Body body = parseBody({"elif", "else", "endif"});
            node->branches.emplace_back(std::move(condition), std::move(body));
            const std::string keyword = peekStatement();
            if (keyword == "elif") {
                m_pos += 2;
                condition = expression();
                expectStatementEnd();
                continue;
            }
            if (keyword == "else") {
                m_pos += 2;
                expectStatementEnd();
                node->elseBody = parseBody({"endif"});
            }
            expectEndTag("endif");
            return node;
        }
    }

    std::unique_ptr<Node> forStatement(int line)
    {
        auto node = std::make_unique<Node>(Node{Node::Kind::For, line});
        node->targets.push_back(identifier());
        while (isOperator(",")) {
            ++m_pos;
            node->targets.push_back(identifier());
        }
        expectName("in");
        node->expr = orExpression(); // "if" after it filters, it is no conditional expression
        if (isName("if")) {
            ++m_pos;
            node->condition = expression();
        }
        if (isName("recursive")) fail("recursive loops are not supported");
        expectStatementEnd();
        node->body = parseBody({"else", "endfor"});
        if (peekStatement() == "else") {
            m_pos += 2;
            expectStatementEnd();
            node->elseBody = parseBody({"endfor"});
        }
        expectEndTag("endfor");
        return node;
    }

    std::unique_ptr<Node> setStatement(int line)
    {
        auto node = std::make_unique<Node>(Node{Node::Kind::Set, line});
        node->targets.push_back(identifier());
        if (isOperator(".")) {
            ++m_pos;
            node->targets.push_back(identifier());
        }
        if (isOperator(",")) fail("setting several names at once is not supported");
        if (peek().kind == Kind::StmtEnd) { // {% set name %}...{% endset %}
            ++m_pos;
            node->body = parseBody({"endset"});
            expectEndTag("endset");
            return node;
        }
        expectOperator("=");
        node->expr = expression();
        expectStatementEnd();
        return node;
    }

    std::unique_ptr<Node> macroStatement(int line)
    {
        auto node = std::make_unique<Node>(Node{Node::Kind::Macro, line});
        node->targets.push_back(identifier());
        expectOperator("(");
        while (!isOperator(")")) {
            std::string name = identifier();
            ExprPtr fallback;
            if (isOperator("=")) {
                ++m_pos;
                fallback = expression();
            }
            node->parameters.emplace_back(std::move(name), std::move(fallback));
            if (!isOperator(")")) expectOperator(",");
        }
        ++m_pos;
        expectStatementEnd();
        node->body = parseBody({"endmacro"});
        expectEndTag("endmacro");
        return node;
    }

    // ---- expressions, by rising precedence as in jinja2's parser ----

    ExprPtr make(Expr::Kind kind, int line)
    {
        auto expr = std::make_unique<Expr>();
        expr->kind = kind;
        expr->line = line;
        return expr;
    }
    ExprPtr binary(const std::string& op, ExprPtr left, ExprPtr right)
    {
        auto expr = make(Expr::Kind::Binary, left->line);
        expr->name = op;
        expr->children.push_back(std::move(left));
        expr->children.push_back(std::move(right));
        return expr;
    }

    ExprPtr expression()
    {
        const Nested nested(*this);
        ExprPtr value = orExpression();
        if (!isName("if")) return value;
        ++m_pos;
        auto conditional = make(Expr::Kind::Conditional, value->line);
        conditional->children.push_back(std::move(value));
        conditional->children.push_back(orExpression());
        if (isName("else")) {
            ++m_pos;
            conditional->children.push_back(expression());
        } else {
            conditional->children.push_back(nullptr);
        }
        return conditional;
    }

    ExprPtr orExpression()
    {
        ExprPtr left = andExpression();
        while (isName("or")) {
            ++m_pos;
            left = binary("or", std::move(left), andExpression());
        }
        return left;
    }

    ExprPtr andExpression()
    {
        ExprPtr left = notExpression();
        while (isName("and")) {
            ++m_pos;
            left = binary("and", std::move(left), notExpression());
        }
        return left;
    }

    ExprPtr notExpression()
    {
        if (!isName("not")) return comparison();
        const Nested nested(*this);
        const int line = next().line;
        auto expr = make(Expr::Kind::Unary, line);
        expr->name = "not";
        expr->children.push_back(notExpression());
        return expr;
    }

    ExprPtr comparison()
    {
        ExprPtr left = concatenation();
        while (true) {
            std::string op;
            if (peek().kind == Kind::Operator &&
                (peek().text == "==" || peek().text == "!=" || peek().text == "<" ||
                 peek().text == ">" || peek().text == "<=" || peek().text == ">="))
                op = next().text;
            else if (isName("in"))
                op = next().text;
            else if (isName("not") && isName("in", 1))
                m_pos += 2, op = "not in";
            else
                return left;
            left = binary(op, std::move(left), concatenation());
        }
    }

    ExprPtr concatenation()
    {
        ExprPtr left = sum();
        while (isOperator("~")) {
            ++m_pos;
            left = binary("~", std::move(left), sum());
        }
        return left;
    }

    ExprPtr sum()
    {
        ExprPtr left = product();
        while (isOperator("+") || isOperator("-")) {
            const std::string op = next().text;
            left = binary(op, std::move(left), product());
        }
        return left;
    }

    ExprPtr product()
    {
        ExprPtr left = power();
        while (isOperator("*") || isOperator("/") || isOperator("//") || isOperator("%")) {
            const std::string op = next().text;
            left = binary(op, std::move(left), power());
        }
        return left;
    }

    ExprPtr power()
    {
        ExprPtr left = unary();
        while (isOperator("**")) {
            ++m_pos;
            left = binary("**", std::move(left), unary());
        }
        return left;
    }

    ExprPtr unary()
    {
        if (isOperator("-") || isOperator("+")) {
            const Nested nested(*this);
            const Token& token = next();
            auto expr = make(Expr::Kind::Unary, token.line);
            expr->name = token.text;
            expr->children.push_back(unary());
            return filtersAndTests(std::move(expr));
        }
        return filtersAndTests(postfix(primary()));
    }

    // Positional and keyword arguments after "(": appended to `call`.
    void arguments(Expr& call)
    {
        expectOperator("(");
        while (!isOperator(")")) {
            if (peek().kind == Kind::Name && isOperator("=", 1)) {
                call.keywords.push_back(next().text);
                ++m_pos;
                call.children.push_back(expression());
            } else {
                if (!call.keywords.empty()) fail("a positional argument after a keyword one");
                call.children.push_back(expression());
            }
            if (!isOperator(")")) expectOperator(",");
        }
        ++m_pos;
    }

    ExprPtr filtersAndTests(ExprPtr value)
    {
        while (true) {
            if (isOperator("|")) {
                ++m_pos;
                auto filter = make(Expr::Kind::Filter, value->line);
                filter->name = identifier();
                filter->children.push_back(std::move(value));
                if (isOperator("(")) arguments(*filter);
                value = postfix(std::move(filter));
            } else if (isName("is")) {
                ++m_pos;
                auto test = make(Expr::Kind::Test, value->line);
                if (isName("not")) {
                    ++m_pos;
                    test->negated = true;
                }
                test->name = identifier();
                test->children.push_back(std::move(value));
                if (isOperator("("))
                    arguments(*test);
                else if (peek().kind == Kind::String || peek().kind == Kind::Integer ||
                         peek().kind == Kind::Float)
                    test->children.push_back(primary()); // "is sameas x" style argument
                value = std::move(test);
            } else {
                return value;
            }
        }
    }

    ExprPtr postfix(ExprPtr value)
    {
        while (true) {
            if (isOperator(".")) {
                ++m_pos;
                auto attribute = make(Expr::Kind::Attribute, value->line);
                attribute->name = identifier();
                attribute->children.push_back(std::move(value));
                value = std::move(attribute);
            } else if (isOperator("[")) {
                ++m_pos;
                value = subscript(std::move(value));
            } else if (isOperator("(")) {
                auto call = make(Expr::Kind::Call, value->line);
                call->children.push_back(std::move(value));
                arguments(*call);
                value = std::move(call);
            } else {
                return value;
            }
        }
    }

    ExprPtr subscript(ExprPtr value)
    {
        ExprPtr parts[3];
        int part = 0;
        bool slice = false;
        while (!isOperator("]")) {
            if (isOperator(":")) {
                if (++part > 2) fail("a slice has at most three parts");
                slice = true;
                ++m_pos;
                continue;
            }
            if (parts[part]) fail("expected ':' or ']' in a subscript");
            parts[part] = expression();
        }
        ++m_pos;
        if (!slice) {
            if (!parts[0]) fail("an empty subscript");
            auto expr = make(Expr::Kind::Subscript, value->line);
            expr->children.push_back(std::move(value));
            expr->children.push_back(std::move(parts[0]));
            return expr;
        }
        auto expr = make(Expr::Kind::Slice, value->line);
        expr->children.push_back(std::move(value));
        for (auto& item : parts)
            expr->children.push_back(std::move(item));
        return expr;
    }

    ExprPtr literal(Value value, int line)
    {
        auto expr = make(Expr::Kind::Literal, line);
        expr->value = std::move(value);
        return expr;
    }

    ExprPtr primary()
    {
        const Token& token = next();
        switch (token.kind) {
        case Kind::String: {
            std::string text = token.text;
            while (peek().kind == Kind::String) // adjacent strings concatenate, as in Python
                text += next().text;
            return literal(Value(text), token.line);
        }
        case Kind::Integer: {
            int64_t value = 0;
            const auto [end, error] =
                std::from_chars(token.text.data(), token.text.data() + token.text.size(), value);
            if (error != std::errc() || end != token.text.data() + token.text.size())
                fail("the integer " + token.text + " is too large");
            return literal(Value(value), token.line);
        }
        case Kind::Float: {
            double value = 0;
            const auto [end, error] =
                std::from_chars(token.text.data(), token.text.data() + token.text.size(), value);
            if (error != std::errc() || end != token.text.data() + token.text.size())
                fail("the number " + token.text + " is out of range");
            return literal(Value(value), token.line);
        }
        case Kind::Name: {
            const std::string& name = token.text;
            if (name == "true" || name == "True") return literal(Value(true), token.line);
            if (name == "false" || name == "False") return literal(Value(false), token.line);
            if (name == "none" || name == "None") return literal(Value(nullptr), token.line);
            auto expr = make(Expr::Kind::Name, token.line);
            expr->name = name;
            return expr;
        }
        case Kind::Operator:
            if (token.text == "(") {
                ExprPtr inner = expression();
                if (isOperator(",")) fail("tuples are not supported; use a list");
                expectOperator(")");
                return inner;
            }
            if (token.text == "[") {
                auto list = make(Expr::Kind::List, token.line);
                while (!isOperator("]")) {
                    list->children.push_back(expression());
                    if (!isOperator("]")) expectOperator(",");
                }
                ++m_pos;
                return list;
            }
            if (token.text == "{") {
                auto dict = make(Expr::Kind::Dict, token.line);
                while (!isOperator("}")) {
                    dict->children.push_back(expression());
                    expectOperator(":");
                    dict->children.push_back(expression());
                    if (!isOperator("}")) expectOperator(",");
                }
                ++m_pos;
                return dict;
            }
            break;
        default:
            break;
        }
        --m_pos;
        fail("expected a value, got " + describe(token));
    }

    // Counts one level of recursion for as long as it lives.
    struct Nested {
        explicit Nested(Parser& parser) : parser(parser)
        {
            if (++parser.m_depth > maxNesting)
                parser.fail("nested more than " + std::to_string(maxNesting) + " levels deep");
        }
        ~Nested() { --parser.m_depth; }
        Parser& parser;
    };

    const std::vector<Token>& m_tokens;
    size_t m_pos = 0;
    int m_depth = 0;
};

} // namespace

Body parse(const std::vector<Token>& tokens)
{
    return Parser(tokens).run();
}

} // namespace rlhf::chat::jinja
