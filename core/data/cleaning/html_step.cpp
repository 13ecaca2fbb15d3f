// The html step: strips tags, comments, doctypes and the bodies of <script> and <style>, turns
// block-level tags (<br>, <p>, <div>, <li>, headings, rows...) into line breaks, and decodes
// named and numeric character references. A '<' opens a tag only when a known HTML element
// name follows it and a '>' closes it, so prose such as "a < b" or "x<y and y>z" is left
// alone; an unknown entity ("&foo;") is left as written.
#include "core/data/cleaning/html_entities.h"
#include "core/data/cleaning/step.h"
#include "core/data/cleaning/text_utils.h"
#include "core/text/utf8.h"

#include <algorithm>
#include <iterator>
#include <cstring>

namespace rlhf::data::cleaning {

namespace {

constexpr std::string_view kElements[] = {
    "a",        "abbr",     "address",  "area",     "article",    "aside",  "audio",    "b",
    "base",     "bdi",      "bdo",      "big",      "blockquote", "body",   "br",       "button",
    "canvas",   "caption",  "center",   "cite",     "code",       "col",    "colgroup", "data",
    "datalist", "dd",       "del",      "details",  "dfn",        "dialog", "div",      "dl",
    "dt",       "em",       "embed",    "fieldset", "figcaption", "figure", "font",     "footer",
    "form",     "frame",    "frameset", "h1",       "h2",         "h3",     "h4",       "h5",
    "h6",       "head",     "header",   "hr",       "html",       "i",      "iframe",   "img",
    "input",    "ins",      "kbd",      "label",    "legend",     "li",     "link",     "main",
    "map",      "mark",     "menu",     "meta",     "meter",      "nav",    "noscript", "object",
    "ol",       "optgroup", "option",   "output",   "p",          "param",  "picture",  "pre",
    "progress", "q",        "rp",       "rt",       "ruby",       "s",      "samp",     "script",
    "section",  "select",   "small",    "source",   "span",       "strike", "strong",   "style",
    "sub",      "summary",  "sup",      "svg",      "table",      "tbody",  "td",       "template",
    "textarea", "tfoot",    "th",       "thead",    "time",       "title",  "tr",       "track",
    "tt",       "u",        "ul",       "var",      "video",      "wbr",
};

// Tags that end a line of text: rendered, they start a new block.
constexpr std::string_view kLineBreakers[] = {
    "article", "blockquote", "br",      "dd",    "div", "dl",     "dt",    "footer", "h1",
    "h2",      "h3",         "h4",      "h5",    "h6",  "header", "hr",    "li",     "ol",
    "p",       "pre",        "section", "table", "tr",  "ul",     "title",
};

template <size_t N> bool contains(const std::string_view (&list)[N], std::string_view word)
{
    return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}
bool isAlpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// Case-insensitive search for the ASCII lower-case `needle` in text[from..].
size_t findNoCase(std::string_view text, std::string_view needle, size_t from)
{
    for (size_t i = from; i + needle.size() <= text.size(); ++i) {
        size_t k = 0;
        while (k < needle.size() && lower(text[i + k]) == needle[k])
            ++k;
        if (k == needle.size()) return i;
    }
    return std::string_view::npos;
}

// The '>' ending the tag that starts at text[from], skipping '>' in quoted attribute values.
// A '<' anywhere (quoted or not) means this was no tag: that bounds every scan by the next
// '<', which keeps the step linear on text full of unclosed openers.
size_t tagEnd(std::string_view text, size_t from)
{
    char quote = 0;
    for (size_t i = from; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '<') return std::string_view::npos;
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '>') {
            return i;
        }
    }
    return std::string_view::npos;
}

class HtmlStep final : public FieldStep {
protected:
    bool edit(std::string& value, std::string&) override
    {
        if (value.find_first_of("<&") == std::string::npos) return false;
        const std::string_view text = value;
        std::string& out = m_scratch;
        out.clear();
        m_noCommentEnd = m_noTagEnd = false;
        size_t i = 0;
        while (i < text.size()) {
            const size_t next = text.find_first_of("<&", i);
            out.append(text.substr(i, next == std::string_view::npos ? text.size() - i : next - i));
            if (next == std::string_view::npos) break;
            i = text[next] == '<' ? markup(text, next, out) : entity(text, next, out);
        }
        if (out == value) return false;
        value.swap(out);
        return true;
    }

private:
    // Handles the '<' at text[at]; returns where to continue.
    size_t markup(std::string_view text, size_t at, std::string& out)
    {
        if (text.compare(at, 4, "<!--") == 0) {
            // Once no "-->" (or '>') follows, none follows any later opener either: searching
            // again for each would make a text full of unclosed "<!--" quadratic.
            const size_t close = m_noCommentEnd ? std::string_view::npos : text.find("-->", at + 4);
            if (close != std::string_view::npos) return close + 3;
            m_noCommentEnd = true;
        } else if (at + 1 < text.size() &&
                   (text[at + 1] == '?' ||
                    (text[at + 1] == '!' && at + 2 < text.size() && isAlpha(text[at + 2])))) {
            const size_t close = m_noTagEnd ? std::string_view::npos : text.find('>', at);
            if (close != std::string_view::npos) return close + 1; // <!DOCTYPE ...>, <?xml ?>
            m_noTagEnd = true;
        } else {
            size_t p = at + 1;
            const bool closing = p < text.size() && text[p] == '/';
            if (closing) ++p;
            std::string name;
            while (p < text.size() && (isAlpha(text[p]) || isDigit(text[p])) && name.size() < 16)
                name.push_back(lower(text[p++]));
            const bool delimited =
                p < text.size() && (text[p] == '>' || text[p] == '/' || text[p] == ' ' ||
                                    text[p] == '\t' || text[p] == '\n' || text[p] == '\r');
            const size_t close =
                delimited && contains(kElements, name) ? tagEnd(text, p) : std::string_view::npos;
            if (close != std::string_view::npos) {
                if (contains(kLineBreakers, name)) out.push_back('\n');
                if (name == "td" || name == "th") out.push_back(' ');
                if (!closing && (name == "script" || name == "style")) {
                    // The body is code, not text: skip to the end tag, or drop the rest.
                    const size_t end = findNoCase(text, "</" + name, close + 1);
                    if (end == std::string_view::npos) return text.size();
                    const size_t endClose = text.find('>', end);
                    return endClose == std::string_view::npos ? text.size() : endClose + 1;
                }
                return close + 1;
            }
        }
        out.push_back('<');
        return at + 1;
    }

    bool m_noCommentEnd = false; // no "-->" after the last "<!--" searched, in this field
    bool m_noTagEnd = false;     // no '>' after the last "<!" / "<?" searched, in this field

    // Handles the '&' at text[at]; returns where to continue.
    static size_t entity(std::string_view text, size_t at, std::string& out)
    {
        size_t p = at + 1;
        char32_t codePoint = 0;
        bool numeric = false;
        if (p < text.size() && text[p] == '#') {
            numeric = true;
            ++p;
            const bool hex = p < text.size() && (text[p] == 'x' || text[p] == 'X');
            if (hex) ++p;
            const size_t digitsStart = p;
            uint64_t number = 0;
            while (
                p < text.size() && p - digitsStart < 8 &&
                (isDigit(text[p]) || (hex && ((lower(text[p]) >= 'a' && lower(text[p]) <= 'f'))))) {
                const char c = lower(text[p++]);
                number = number * (hex ? 16 : 10) + (isDigit(c) ? c - '0' : c - 'a' + 10);
            }
            if (p == digitsStart) numeric = false;
            // NUL, surrogates and values beyond Unicode decode to U+FFFD, as in browsers.
            codePoint = number == 0 || number > 0x10FFFF || (number >= 0xD800 && number <= 0xDFFF)
                            ? 0xFFFD
                            : static_cast<char32_t>(number);
        } else {
            const size_t nameStart = p;
            while (p < text.size() && p - nameStart < 32 && (isAlpha(text[p]) || isDigit(text[p])))
                ++p;
            codePoint = namedEntity(text.substr(nameStart, p - nameStart));
        }
        if (p < text.size() && text[p] == ';' && (numeric || codePoint != 0)) {
            text::appendUtf8(out, codePoint);
            return p + 1;
        }
        out.push_back('&');
        return at + 1;
    }
};

} // namespace

std::unique_ptr<Step> makeHtmlStep()
{
    return std::make_unique<HtmlStep>();
}

} // namespace rlhf::data::cleaning
