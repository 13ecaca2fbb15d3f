// `rlhf model info FOLDER`: what a Hugging Face model folder (or a checkpoint) holds, read from
// its config.json and weight files without loading the weights, as JSON: the family and shape,
// the exact parameter count, the dtype and size on disk, the memory that chatting with it and
// fully fine-tuning it take here, and its own chat template with a preview. The CLI twin of what
// the studio shows before adding a model.
#include "app/cli/commands.h"

#include "core/chat/jinja/model_template.h"
#include "core/model/checkpoint.h"
#include "core/model/hf_config.h"
#include "core/util/error.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace rlhf::cli {

namespace {

namespace fs = std::filesystem;

uint64_t weightFileBytes(const fs::path& folder)
{
    uint64_t bytes = 0;
    for (const auto& entry : fs::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("model") && name.ends_with(".safetensors")) bytes += entry.file_size();
    }
    return bytes;
}

// The model's own chat template: where it is and how a short conversation renders with it;
// null when the folder has none, {"error": ...} when it cannot be used.
nlohmann::ordered_json chatTemplateInfo(const fs::path& folder)
{
    try {
        const auto chatTemplate = chat::jinja::ModelTemplate::load(folder);
        if (!chatTemplate) return nullptr;
        const nlohmann::ordered_json conversation = {
            {{"role", "system"}, {"content", "You are a helpful assistant."}},
            {{"role", "user"}, {"content", "Hello!"}},
            {{"role", "assistant"}, {"content", "Hi! How can I help?"}},
            {{"role", "user"}, {"content", "What is 2 + 2?"}}};
        return {{"file", chatTemplate->file()},
                {"preview", chatTemplate->render(conversation, /*addGenerationPrompt=*/true).text}};
    } catch (const Error& error) {
        return {{"error", error.what()}};
    }
}

nlohmann::ordered_json modelInfo(const fs::path& folder)
{
    const model::ModelConfig config = model::loadCheckpointConfig(folder);
    const nlohmann::json hf = model::toHfConfig(config);
    const int64_t parameters = model::parameterCount(config);
    nlohmann::ordered_json info;
    info["folder"] = folder.string();
    info["family"] = config.familyName();
    info["architecture"] = hf.at("architectures").at(0);
    info["parameters"] = parameters;
    info["dtype"] = config.dtype;
    info["weight_bytes"] = weightFileBytes(folder);
    info["context_length"] = config.contextLength;
    info["layers"] = config.layers;
    info["dim"] = config.dim;
    info["heads"] = config.heads;
    info["kv_heads"] = config.kvHeadCount();
    info["head_dim"] = config.headDim();
    info["vocab_size"] = config.vocabSize;
    info["tied_embeddings"] = config.tieEmbeddings;
    info["rope_type"] = std::string(wordOf(model::ropeTypeWords, config.rope.type));
    info["sliding_window"] = config.slidingWindow;
    // The studio computes with fp32 weights (bf16 under autocast): chatting holds the weights,
    // full fine-tuning adds their gradients and AdamW's two moments (activations come on top,
    // and depend on batch and length: the stage wizard's estimate adds them).
    info["memory_bytes"] = {{"chat", parameters * 4}, {"full_finetune", parameters * 16}};
    info["tokenizer"] = fs::exists(folder / "tokenizer.json");
    info["chat_template"] = chatTemplateInfo(folder);
    return info;
}

} // namespace

void addModelCommands(CLI::App& app)
{
    auto* group = app.add_subcommand("model", "Inspect Hugging Face model folders");
    group->require_subcommand(1);
    auto folder = std::make_shared<std::string>();
    auto* info = group->add_subcommand("info", "Family, shape, parameters, dtype and memory");
    info->add_option("folder", *folder, "Model folder (config.json + safetensors)")
        ->required()
        ->check(CLI::ExistingDirectory);
    info->callback([folder] { std::cout << modelInfo(*folder).dump(2) << std::endl; });
}

} // namespace rlhf::cli
