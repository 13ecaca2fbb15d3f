#include "core/chat/jinja/lexer.h"

#include "core/util/error.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace rlhf::chat::jinja {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

class Lexer {
public:
    explicit Lexer(std::string_view source) : m_source(source) {}

    std::vector<Token> run()
    {
        bool lineStarting = true; // the text that follows starts a line (lstrip_blocks)
        bool stripNext = false;   // the previous tag ended with "-": strip leading whitespace
        while (m_pos < m_source.size()) {
            const size_t tag = findTagStart(m_pos);
            std::string text(m_source.substr(m_pos, tag - m_pos));
            if (stripNext) {
                const size_t first =
                    std::find_if_not(text.begin(), text.end(), isSpace) - text.begin();
                text.erase(0, first);
            }
            stripNext = false;
            const int textLine = m_line;
            countLines(m_pos, tag);
            m_pos = tag;
            if (tag == m_source.size()) {
                pushText(std::move(text), textLine);
                break;
            }
            const char kind = m_source[tag + 1]; // '{', '%' or '#'
            const char modifier = tag + 2 < m_source.size() ? m_source[tag + 2] : '\0';
            if (modifier == '-') {
                while (!text.empty() && isSpace(text.back()))
                    text.pop_back();
            } else if (kind != '{' && modifier != '+') { // lstrip_blocks
                const size_t lineStart = text.rfind('\n');
                const size_t from = lineStart == std::string::npos ? 0 : lineStart + 1;
                if ((lineStart != std::string::npos || lineStarting) &&
                    std::all_of(text.begin() + long(from), text.end(),
                                [](char c) { return c == ' ' || c == '\t'; }))
                    text.erase(from);
            }
            pushText(std::move(text), textLine);
            m_pos = tag + 2 + ((modifier == '-' || modifier == '+') ? 1 : 0);

            bool endsWithNewline = false;
            if (kind == '#') {
                const size_t close = m_source.find("#}", m_pos);
                if (close == std::string_view::npos) fail("a comment is never closed");
                stripNext = close > m_pos && m_source[close - 1] == '-';
                countLines(m_pos, close + 2);
                m_pos = close + 2;
                endsWithNewline = trimNewline(stripNext || m_source[close - 1] == '+');
            } else {
                const bool expression = kind == '{';
                m_tokens.push_back(
                    {expression ? Token::Kind::ExprBegin : Token::Kind::StmtBegin, "", m_line});
                const char closeChar = expression ? '}' : '%';
                stripNext = lexTag(closeChar);
                m_tokens.push_back(
                    {expression ? Token::Kind::ExprEnd : Token::Kind::StmtEnd, "", m_line});
                if (!expression) endsWithNewline = trimNewline(stripNext || m_plusEnd);
            }
            lineStarting = endsWithNewline;
        }
        m_tokens.push_back({Token::Kind::End, "", m_line});
        return std::move(m_tokens);
    }

private:
    [[noreturn]] void fail(const std::string& message) const
    {
        throw Error("chat template line " + std::to_string(m_line) + ": " + message);
    }

    size_t findTagStart(size_t from) const
    {
        for (size_t i = from; i + 1 < m_source.size(); ++i)
            if (m_source[i] == '{' &&
                (m_source[i + 1] == '{' || m_source[i + 1] == '%' || m_source[i + 1] == '#'))
                return i;
        return m_source.size();
    }

    void countLines(size_t from, size_t to)
    {
        m_line += int(std::count(m_source.begin() + long(from), m_source.begin() + long(to), '\n'));
    }

    void pushText(std::string text, int line)
    {
        if (!text.empty()) m_tokens.push_back({Token::Kind::Text, std::move(text), line});
    }

    // trim_blocks: the newline right after a block tag goes, unless the tag kept it ("+") or
    // already stripped the whitespace ("-"). Returns whether the tag ended a line.
    bool trimNewline(bool keep)
    {
        if (keep) return false;
        if (m_pos < m_source.size() && m_source[m_pos] == '\n') {
            ++m_pos, ++m_line;
            return true;
        }
        return false;
    }

    // The tokens of one tag up to its closing "}}" / "%}"; returns whether it closed with "-".
    bool lexTag(char closeChar)
    {
        m_plusEnd = false;
        while (true) {
            if (m_pos >= m_source.size()) fail("a tag is never closed");
            const char c = m_source[m_pos];
            if (isSpace(c)) {
                if (c == '\n') ++m_line;
                ++m_pos;
                continue;
            }
            auto closesAt = [&](size_t at) {
                return at + 1 < m_source.size() && m_source[at] == closeChar &&
                       m_source[at + 1] == '}';
            };
            if ((c == '-' || c == '+') && closesAt(m_pos + 1)) {
                m_plusEnd = c == '+';
                m_pos += 3;
                return c == '-';
            }
            if (closesAt(m_pos)) {
                m_pos += 2;
                return false;
            }
            if (c == '\'' || c == '"') {
                lexString(c);
            } else if (std::isdigit(static_cast<unsigned char>(c))) {
                lexNumber();
            } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                const size_t start = m_pos;
                while (m_pos < m_source.size() &&
                       (std::isalnum(static_cast<unsigned char>(m_source[m_pos])) ||
                        m_source[m_pos] == '_'))
                    ++m_pos;
                m_tokens.push_back({Token::Kind::Name,
                                    std::string(m_source.substr(start, m_pos - start)), m_line});
            } else {
                lexOperator();
            }
        }
    }

    void lexString(char quote)
    {
        std::string value;
        ++m_pos;
        while (true) {
            if (m_pos >= m_source.size()) fail("a string is never closed");
            const char c = m_source[m_pos++];
            if (c == quote) break;
            if (c == '\n') ++m_line;
            if (c != '\\' || m_pos >= m_source.size()) {
                value += c;
                continue;
            }
            const char escaped = m_source[m_pos++];
            switch (escaped) {
            case 'n':
                value += '\n';
                break;
            case 't':
                value += '\t';
                break;
            case 'r':
                value += '\r';
                break;
            case '\\':
                value += '\\';
                break;
            case '\'':
                value += '\'';
                break;
            case '"':
                value += '"';
                break;
            case '\n':
                ++m_line;
                break; // a line continuation
            default:
                value += '\\', value += escaped; // Python keeps unknown escapes
            }
        }
        m_tokens.push_back({Token::Kind::String, std::move(value), m_line});
    }

    void lexNumber()
    {
        const size_t start = m_pos;
        bool isFloat = false;
        while (
            m_pos < m_source.size() &&
            (std::isdigit(static_cast<unsigned char>(m_source[m_pos])) || m_source[m_pos] == '_'))
            ++m_pos;
        if (m_pos + 1 < m_source.size() && m_source[m_pos] == '.' &&
            std::isdigit(static_cast<unsigned char>(m_source[m_pos + 1]))) {
            isFloat = true;
            ++m_pos;
            while (m_pos < m_source.size() &&
                   std::isdigit(static_cast<unsigned char>(m_source[m_pos])))
                ++m_pos;
        }
        std::string text(m_source.substr(start, m_pos - start));
        std::erase(text, '_');
        m_tokens.push_back({isFloat ? Token::Kind::Float : Token::Kind::Integer, text, m_line});
    }

    void lexOperator()
    {
        static constexpr std::array<std::string_view, 6> twoChar{
            "//", "**", "==", "!=", "<=", ">="};
        for (std::string_view op : twoChar) {
            if (m_source.substr(m_pos, 2) == op) {
                m_tokens.push_back({Token::Kind::Operator, std::string(op), m_line});
                m_pos += 2;
                return;
            }
        }
        static constexpr std::string_view single = "+-*/%~<>=()[]{}.,:|";
        const char c = m_source[m_pos];
        if (single.find(c) == std::string_view::npos)
            fail(std::string("unexpected character '") + c + "' in a tag");
        m_tokens.push_back({Token::Kind::Operator, std::string(1, c), m_line});
        ++m_pos;
    }

    std::string_view m_source;
    size_t m_pos = 0;
    int m_line = 1;
    bool m_plusEnd = false;
    std::vector<Token> m_tokens;
};

} // namespace

std::vector<Token> tokenize(std::string_view source)
{
    return Lexer(source).run();
}

} // namespace rlhf::chat::jinja
