// Cuts a Jinja template into text and the tokens of its tags, applying the whitespace rules
// transformers compiles chat templates with (trim_blocks and lstrip_blocks on; "-" in a tag
// strips the whitespace beside it, "+" keeps it). Comments vanish here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rlhf::chat::jinja {

struct Token {
    enum class Kind {
        Text,      // literal output
        ExprBegin, // {{
        ExprEnd,   // }}
        StmtBegin, // {%
        StmtEnd,   // %}
        Name,      // if, message, true, ...
        String,    // 'text' (value unescaped)
        Integer,   // 42
        Float,     // 1.5
        Operator,  // + - * / // % ** ~ == != < > <= >= = ( ) [ ] { } . , : |
        End,       // end of the template
    };
    Kind kind;
    std::string text;
    int line = 1; // where it starts in the template, for messages
};

// Throws rlhf::Error "chat template line N: ..." for an unclosed tag or string.
std::vector<Token> tokenize(std::string_view source);

} // namespace rlhf::chat::jinja
