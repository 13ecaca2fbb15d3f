// Tokens -> syntax tree, for the subset of Jinja that chat templates use: {{ }}, if / elif /
// else, for (with loop variables, a filter condition, else, break, continue), set (names,
// namespace attributes, blocks), macro, generation, and the full expression grammar with
// filters and tests. Anything else is an error that names the construct and the line.
#pragma once

#include "core/chat/jinja/lexer.h"
#include "core/chat/jinja/syntax.h"

namespace rlhf::chat::jinja {

Body parse(const std::vector<Token>& tokens);

} // namespace rlhf::chat::jinja
