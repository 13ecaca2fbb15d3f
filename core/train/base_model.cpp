// Model folders described and added to a project (see base_model.h).
#include "core/train/base_model.h"

#include "core/chat/chat_template.h"
#include "core/chat/jinja/model_template.h"
#include "core/model/checkpoint.h"
#include "core/model/hf_config.h"
#include "core/model/model_weights.h"
#include "core/store/project.h"
#include "core/text/tokenizer.h"
#include "core/text/tokenizer_json.h"
#include "core/util/error.h"
#include "core/util/text_file.h"

namespace rlhf::train {

namespace fs = std::filesystem;

namespace {

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

bool isCacheFolder(const fs::path& folder)
{
    return folder.filename().string().starts_with("models--") &&
           fs::is_directory(folder / "snapshots");
}

} // namespace

fs::path modelFolderOf(const fs::path& folder)
{
    if (fs::exists(folder / "adapter_config.json")) return folder; // a LoRA adapter on its base
    if (fs::exists(folder / "config.json") || !isCacheFolder(folder)) {
        if (!fs::exists(folder / "config.json"))
            throw Error(folder.string() + ": no config.json (not a Hugging Face model folder)");
        return folder;
    }
    if (fs::exists(folder / "refs" / "main")) {
        const std::string hash = readTextFile(folder / "refs" / "main");
        const fs::path snapshot = folder / "snapshots" / hash.substr(0, hash.find_first_of("\r\n"));
        if (fs::exists(snapshot / "config.json")) return snapshot;
    }
    std::vector<fs::path> snapshots;
    for (const auto& entry : fs::directory_iterator(folder / "snapshots"))
        if (fs::exists(entry.path() / "config.json")) snapshots.push_back(entry.path());
    if (snapshots.size() != 1)
        throw Error(folder.string() + ": a Hugging Face cache folder with " +
                    std::to_string(snapshots.size()) +
                    " snapshots holding config.json and no refs/main naming one: choose the "
                    "snapshot folder itself");
    return snapshots.front();
}

std::string suggestedModelName(const fs::path& folder)
{
    for (fs::path at = folder; !at.empty() && at != at.parent_path(); at = at.parent_path()) {
        const std::string name = at.filename().string();
        if (name.starts_with("models--")) {
            const size_t last = name.rfind("--");
            return name.substr(last + 2);
        }
    }
    const fs::path clean = folder.filename().empty() ? folder.parent_path() : folder;
    return clean.filename().string();
}

nlohmann::ordered_json describeModelFolder(const fs::path& folder)
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
    if (model::isAdapterFolder(folder)) { // a LoRA checkpoint: the shape above is its base's
        const model::AdapterFolder adapter = model::loadAdapter(folder);
        const fs::path base = model::adapterBaseFolder(folder);
        info["weight_bytes"] = weightFileBytes(base);
        // An adapter without tokenizer files uses its base's (addAdapterModel copies them).
        if (!info["tokenizer"].get<bool>()) {
            info["tokenizer"] = fs::exists(base / "tokenizer.json");
            if (info["chat_template"].is_null()) info["chat_template"] = chatTemplateInfo(base);
        }
        int64_t adapterParameters = 0;
        for (const auto& [name, tensor] : adapter.tensors)
            adapterParameters += tensor.numel();
        info["adapter"] = {{"base", base.string()},
                           {"rank", adapter.config.rank},
                           {"alpha", adapter.config.alpha},
                           {"target_modules", adapter.config.targetModules},
                           {"dora", adapter.config.dora},
                           {"rslora", adapter.config.rsLora},
                           {"parameters", adapterParameters},
                           {"bytes", fs::file_size(folder / "adapter_model.safetensors")}};
    }
    return info;
}

store::BaseModel addBaseModel(store::Project& project, const fs::path& chosen,
                              const std::string& name)
{
    if (fs::is_regular_file(chosen / "adapter_config.json"))
        return addAdapterModel(project, chosen, {}, name);
    const fs::path folder = fs::absolute(modelFolderOf(chosen)).lexically_normal();
    const model::ModelConfig config = model::loadCheckpointConfig(folder);
    withContext(folder.string(), [&] { model::ModelWeights weights(folder); });
    const fs::path tokenizerFile = folder / "tokenizer.json";
    if (!fs::exists(tokenizerFile))
        throw Error(folder.string() +
                    ": no tokenizer.json (the tokenizer that turns text into this model's ids)");
    const text::Tokenizer tokenizer = text::loadTokenizerJson(tokenizerFile);
    if (int64_t(tokenizer.vocabSize()) > config.vocabSize)
        throw Error(tokenizerFile.string() + ": " + std::to_string(tokenizer.vocabSize()) +
                    " token ids, but the model has only " + std::to_string(config.vocabSize) +
                    " embedding rows (config.json vocab_size)");
    // The template the stages will use: it must parse, and name its end of turn.
    if (chat::jinja::ModelTemplate::load(folder))
        chat::ChatEncoder::forModel(tokenizer, folder, {});

    const fs::path root = fs::absolute(project.paths().root()).lexically_normal();
    const fs::path relative = folder.lexically_relative(root);
    const bool inside = !relative.empty() && *relative.begin() != "..";
    store::BaseModel model;
    model.name = name.empty() ? suggestedModelName(folder) : name;
    model.path = inside ? relative.generic_string() : folder.string();
    model.family = config.familyName();
    model.parameters = model::parameterCount(config);
    model.id = project.database().addModel(model);
    return *project.database().model(model.name);
}

} // namespace rlhf::train
