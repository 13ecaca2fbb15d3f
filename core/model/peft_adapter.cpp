#include "core/model/peft_adapter.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

#include <nlohmann/json.hpp>

#include <set>

namespace rlhf::model {

namespace fs = std::filesystem;

namespace {

const char* const configFile = "adapter_config.json";
const char* const weightsFile = "adapter_model.safetensors";
const std::string prefix = "base_model.model.";

// The last component of a module name: "model.layers.0.mlp.up_proj" -> "up_proj".
std::string moduleKind(const std::string& tensorName)
{
    const std::string module = tensorName.substr(0, tensorName.find(".lora_"));
    return module.substr(module.rfind('.') + 1);
}

// A field that must be absent, null or empty for this studio to apply the adapter as PEFT would.
void refuseUnless(const nlohmann::json& config, const fs::path& file, const char* field,
                  bool (*fine)(const nlohmann::json&), const std::string& why)
{
    const auto found = config.find(field);
    if (found != config.end() && !found->is_null() && !fine(*found))
        throw Error(file.string() + ": " + field + " " + found->dump() + ": " + why);
}

} // namespace

bool isAdapterFolder(const fs::path& folder)
{
    return fs::is_regular_file(folder / configFile);
}

void saveAdapter(const fs::path& folder, const AdapterFolder& adapter, bool fanInFanOut)
{
    const LoraConfig& config = adapter.config;
    nlohmann::json json = {{"peft_type", "LORA"},
                           {"task_type", "CAUSAL_LM"},
                           {"r", config.rank},
                           {"lora_alpha", config.alpha},
                           {"lora_dropout", config.dropout},
                           {"use_rslora", config.rsLora},
                           {"use_dora", config.dora},
                           {"bias", "none"},
                           {"fan_in_fan_out", fanInFanOut},
                           {"inference_mode", true},
                           {"init_lora_weights", true},
                           {"modules_to_save", nullptr},
                           {"rank_pattern", nlohmann::json::object()},
                           {"alpha_pattern", nlohmann::json::object()},
                           {"base_model_name_or_path", adapter.baseModel}};
    // "all-linear" is PEFT's own shorthand; a list stays a list (PEFT reads a string as a regex).
    if (config.targetModules == std::vector<std::string>{"all-linear"})
        json["target_modules"] = "all-linear";
    else
        json["target_modules"] = config.targetModules;
    NamedTensors tensors;
    for (const auto& [name, tensor] : adapter.tensors)
        tensors.emplace_back(prefix + name, tensor.detach());
    writeTensors(folder / weightsFile, tensors, {{"format", "pt"}});
    writeJsonFile(folder / configFile, json);
}

AdapterFolder loadAdapter(const fs::path& folder)
{
    const fs::path file = folder / configFile;
    const nlohmann::json json = readJsonFile(file);
    if (!json.is_object()) throw Error(file.string() + ": not a JSON object");
    if (json.value("peft_type", nlohmann::json()) != "LORA")
        throw Error(file.string() + ": peft_type " +
                    json.value("peft_type", nlohmann::json()).dump() +
                    ": only LORA adapters are supported");
    auto isNone = [](const nlohmann::json& value) { return value == "none"; };
    auto isEmpty = [](const nlohmann::json& value) { return value.empty(); };
    refuseUnless(json, file, "bias", isNone, "adapters that train biases are not supported");
    refuseUnless(json, file, "modules_to_save", isEmpty,
                 "fully trained modules beside the adapter are not supported");
    refuseUnless(json, file, "alpha_pattern", isEmpty, "per-layer alpha is not supported");
    refuseUnless(json, file, "layers_pattern", isEmpty, "layer patterns are not supported");

    AdapterFolder adapter;
    LoraConfig& config = adapter.config;
    try {
        config.rank = json.at("r").get<int64_t>();
        config.alpha = json.at("lora_alpha").get<double>();
        config.dropout = json.value("lora_dropout", 0.0);
        config.rsLora = json.value("use_rslora", false);
        config.dora = json.value("use_dora", false);
        adapter.baseModel = json.value("base_model_name_or_path", nlohmann::json()).is_string()
                                ? json["base_model_name_or_path"].get<std::string>()
                                : std::string();
    } catch (const nlohmann::json::exception& error) {
        throw Error(file.string() + ": " + error.what());
    }
    withContext(file.string(), [&] { config.validate(); });

    for (auto& [name, tensor] : readTensors(folder / weightsFile)) {
        if (name.rfind(prefix, 0) != 0)
            throw Error((folder / weightsFile).string() + ": tensor " + name + " is not named " +
                        prefix + "...");
        adapter.tensors.emplace_back(name.substr(prefix.size()), std::move(tensor));
    }
    // The layers the adapter is on come from its tensors; target_modules (a list or PEFT's
    // regular expression) says the same in other words.
    std::set<std::string> kinds;
    for (const auto& [name, tensor] : adapter.tensors)
        kinds.insert(moduleKind(name));
    config.targetModules.assign(kinds.begin(), kinds.end());
    return adapter;
}

} // namespace rlhf::model
