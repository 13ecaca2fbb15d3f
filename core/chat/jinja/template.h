// A Jinja chat template (a model's tokenizer_config.json "chat_template" or chat_template.jinja),
// parsed once and rendered as transformers' apply_chat_template renders it with Python's jinja2:
// trim_blocks and lstrip_blocks, loop controls, {% generation %} (which marks the assistant's
// trained text), raise_exception and strftime_now. No maintained C++ Jinja is packaged, so this is
// the subset chat templates use (parser.h lists it); a template using anything else fails on
// parsing or rendering with a message naming the construct and the line. Torch-free, Qt-free.
#pragma once

#include "core/chat/jinja/syntax.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rlhf::chat::jinja {

struct Rendered {
    std::string text;
    // Byte ranges [begin, end) of `text` written inside {% generation %} blocks, in order.
    std::vector<std::pair<size_t, size_t>> generation;
};

class Template {
public:
    // Throws rlhf::Error "chat template line N: ..." on a syntax error or unsupported statement.
    explicit Template(std::string_view source);
    ~Template();
    Template(Template&&) noexcept;
    Template& operator=(Template&&) noexcept;

    // `context` is a JSON object of the template's variables: messages, add_generation_prompt,
    // bos_token, eos_token, tools, ... Throws rlhf::Error naming the line and the problem
    // (raise_exception's message, an undefined variable used, an unsupported filter).
    Rendered render(const nlohmann::ordered_json& context) const;

private:
    Body m_body;
};

} // namespace rlhf::chat::jinja
