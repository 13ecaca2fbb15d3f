// A model folder's own chat template, as transformers finds it: chat_template.jinja, else
// tokenizer_config.json's "chat_template" (a string, or a list of {"name", "template"} whose
// "default" entry is taken), rendered with the special tokens tokenizer_config.json names
// (bos_token, eos_token, unk_token, pad_token: strings or AddedToken objects), as
// apply_chat_template passes them.
#pragma once

#include "core/chat/jinja/template.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace rlhf::chat::jinja {

class ModelTemplate {
public:
    // The folder's template; nullopt when it has none. Throws rlhf::Error naming the file and
    // the line for a template that does not parse, or a tokenizer_config.json that is not JSON.
    static std::optional<ModelTemplate> load(const std::filesystem::path& folder);

    // `messages`: [{"role": ..., "content": ...}, ...], as the OpenAI / HF chat format has them.
    Rendered render(const nlohmann::ordered_json& messages, bool addGenerationPrompt) const;

    // A special token tokenizer_config.json names ("bos_token", "eos_token", "unk_token",
    // "pad_token"); nullopt when it names none.
    std::optional<std::string> specialToken(const std::string& key) const;

    const std::string& source() const { return m_source; } // the template's text
    const std::string& file() const { return m_file; }     // the file it came from

private:
    ModelTemplate(std::string source, std::string file, nlohmann::ordered_json specialTokens);

    std::string m_source, m_file;
    nlohmann::ordered_json m_specialTokens; // {"bos_token": "<s>", ...}
    Template m_template;
};

} // namespace rlhf::chat::jinja
