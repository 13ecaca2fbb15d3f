#include "core/chat/jinja/model_template.h"

#include "core/util/error.h"
#include "core/util/text_file.h"

namespace rlhf::chat::jinja {

namespace fs = std::filesystem;

namespace {

// A special token as tokenizer_config.json writes it: "<s>" or {"content": "<s>", ...}.
std::optional<std::string> tokenText(const nlohmann::ordered_json& value)
{
    if (value.is_string()) return value.get<std::string>();
    if (value.is_object() && value.contains("content") && value.at("content").is_string())
        return value.at("content").get<std::string>();
    return std::nullopt;
}

} // namespace

ModelTemplate::ModelTemplate(std::string source, std::string file,
                             nlohmann::ordered_json specialTokens)
    : m_source(std::move(source)), m_file(std::move(file)),
      m_specialTokens(std::move(specialTokens)), m_template(m_source)
{
}

std::optional<ModelTemplate> ModelTemplate::load(const fs::path& folder)
{
    const fs::path configFile = folder / "tokenizer_config.json";
    nlohmann::ordered_json config = nlohmann::ordered_json::object();
    if (fs::exists(configFile)) {
        try {
            config = nlohmann::ordered_json::parse(readTextFile(configFile));
        } catch (const nlohmann::json::exception& error) {
            throw Error(configFile.string() + ": " + error.what());
        }
        if (!config.is_object()) throw Error(configFile.string() + ": not a JSON object");
    }
    nlohmann::ordered_json tokens = nlohmann::ordered_json::object();
    for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"})
        if (config.contains(key))
            if (const auto text = tokenText(config.at(key))) tokens[key] = *text;

    std::string source, file;
    if (fs::exists(folder / "chat_template.jinja")) {
        file = (folder / "chat_template.jinja").string();
        source = readTextFile(folder / "chat_template.jinja");
    } else if (config.contains("chat_template")) {
        file = configFile.string();
        const auto& value = config.at("chat_template");
        if (value.is_string()) {
            source = value.get<std::string>();
        } else if (value.is_array()) { // named templates: "default" is what chat uses
            for (const auto& entry : value)
                if (entry.is_object() && entry.value("name", "") == "default" &&
                    entry.contains("template") && entry.at("template").is_string())
                    source = entry.at("template").get<std::string>();
            if (source.empty())
                throw Error(file + ": chat_template lists no template named \"default\"");
        } else {
            throw Error(file + ": chat_template: expected a string or a list, got " + value.dump());
        }
    } else {
        return std::nullopt;
    }
    try {
        return ModelTemplate(std::move(source), file, std::move(tokens));
    } catch (const Error& error) {
        throw Error(file + ": " + error.what());
    }
}

std::optional<std::string> ModelTemplate::specialToken(const std::string& key) const
{
    const auto found = m_specialTokens.find(key);
    if (found == m_specialTokens.end()) return std::nullopt;
    return found->get<std::string>();
}

Rendered ModelTemplate::render(const nlohmann::ordered_json& messages,
                               bool addGenerationPrompt) const
{
    nlohmann::ordered_json context = m_specialTokens;
    context["messages"] = messages;
    context["add_generation_prompt"] = addGenerationPrompt;
    context["tools"] = nullptr;
    context["documents"] = nullptr;
    return m_template.render(context);
}

} // namespace rlhf::chat::jinja
