// The syntax tree of a parsed template: expressions and statements, as the parser builds them
// and the renderer walks them.
#pragma once

#include "core/chat/jinja/value.h"

#include <memory>
#include <string>
#include <vector>

namespace rlhf::chat::jinja {

struct Expr {
    enum class Kind {
        Literal,     // value
        Name,        // name
        List,        // [children...]
        Dict,        // {children[0]: children[1], ...}
        Attribute,   // children[0].name
        Subscript,   // children[0][children[1]]
        Slice,       // children[0][children[1]:children[2]:children[3]] (null: omitted)
        Call,        // children[0](children[1..]; the last keywords.size() are keyword args)
        Filter,      // children[0] | name(children[1..], keywords as for Call)
        Test,        // children[0] is [not] name(children[1..])
        Unary,       // name: "not", "-", "+"; children[0]
        Binary,      // name: operator or "and", "or", "in", "not in"; children[0], children[1]
        Conditional, // children[0] if children[1] else children[2] (null: undefined)
    };
    Kind kind;
    int line = 1;
    Value value;
    std::string name;
    bool negated = false;              // Test: "is not"
    std::vector<std::string> keywords; // Call / Filter: names of the trailing keyword arguments
    std::vector<std::unique_ptr<Expr>> children;
};
using ExprPtr = std::unique_ptr<Expr>;

struct Node;
using Body = std::vector<std::unique_ptr<Node>>;

struct Node {
    enum class Kind {
        Text,   // text
        Output, // {{ expr }}
        If,     // branches: (condition, body)...; elseBody
        For,    // for targets in expr [if condition]: body; elseBody
        Set,    // set target[.attribute] = expr, or {% set target %}body{% endset %}
        Break,
        Continue,
        Macro,      // macro name(parameters = defaults): body
        Generation, // {% generation %}body{% endgeneration %}: the assistant's trained text
    };
    Kind kind;
    int line = 1;
    std::string text;                               // Text
    ExprPtr expr;                                   // Output, For's iterable, Set's value
    ExprPtr condition;                              // For's filter
    std::vector<std::pair<ExprPtr, Body>> branches; // If
    Body body, elseBody;
    std::vector<std::string> targets; // For: loop variables; Set: name [, attribute]; Macro: name
    std::vector<std::pair<std::string, ExprPtr>> parameters; // Macro, defaults may be null
};

} // namespace rlhf::chat::jinja
