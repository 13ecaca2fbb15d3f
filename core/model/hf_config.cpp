#include "core/model/hf_config.h"

#include "core/model/families/family.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <nlohmann/json.hpp>

#include <array>

namespace rlhf::model {

namespace {

const std::array<const HfFamily*, 5> families{&gpt2Family, &llamaFamily, &mistralFamily,
                                              &qwen2Family, &qwen3Family};

const HfFamily* findFamily(std::string_view modelType)
{
    for (const HfFamily* family : families)
        if (family->modelType == modelType) return family;
    return nullptr;
}

// Fields of every family that change nothing in the model: provenance, generation defaults of
// older transformers, and the label maps of classification heads, which a causal LM has not.
constexpr std::array metadataFields{
    "transformers_version", "_name_or_path",   "use_cache",   "output_attentions",
    "output_hidden_states", "return_dict",     "id2label",    "label2id",
    "task_specific_params", "tokenizer_class", "torchscript", "keys_to_ignore_at_inference"};

std::vector<int64_t> tokenIds(JsonReader& json, const char* key)
{
    const nlohmann::json& value = json.raw(key);
    std::vector<int64_t> ids;
    if (value.is_null()) return ids;
    for (const auto& id : value.is_array() ? value : nlohmann::json::array({value})) {
        if (!id.is_number_integer())
            json.fail(key, "expected a token id or a list of them, got " + value.dump());
        ids.push_back(id.get<int64_t>());
    }
    return ids;
}

} // namespace

std::string supportedModelTypes()
{
    std::string list;
    for (size_t index = 0; index < families.size(); ++index) {
        if (index > 0) list += index + 1 == families.size() ? " or " : ", ";
        list += families[index]->modelType;
    }
    return list;
}

ModelConfig fromHfConfig(const nlohmann::json& document)
{
    if (!document.is_object()) throw Error("config.json is not a JSON object");
    JsonReader json(document, "config.json");
    std::string type;
    json.require("model_type", type);
    const HfFamily* family = findFamily(type);
    if (!family)
        json.fail("model_type", "'" + type + "' is not supported (" + supportedModelTypes() + ")");

    // What would make the weights mean something else: say so before anything is built.
    if (json.has("quantization_config"))
        json.fail("quantization_config",
                  "quantized checkpoints are not supported: load the unquantized model");
    if (json.has("auto_map"))
        json.fail("auto_map", "the model needs its own Python code, which the studio cannot run");
    const nlohmann::json& architectures = json.raw("architectures");
    if (architectures.is_array() && !architectures.empty() &&
        architectures.at(0) != family->architecture)
        json.fail("architectures", architectures.dump() + ": only " +
                                       std::string(family->architecture) +
                                       " (the causal language model) is supported");

    ModelConfig config;
    config.family = type;
    json.require("vocab_size", config.vocabSize);
    json.read("initializer_range", config.initStd);
    const std::vector<int64_t> bos = tokenIds(json, "bos_token_id");
    const std::vector<int64_t> pad = tokenIds(json, "pad_token_id");
    config.bosTokenId = bos.empty() ? -1 : bos.front();
    config.padTokenId = pad.empty() ? -1 : pad.front();
    config.eosTokenIds = tokenIds(json, "eos_token_id");
    json.readNullable(json.has("dtype") ? "dtype" : "torch_dtype", config.dtype);
    json.ignore("torch_dtype"); // transformers 5 writes dtype; older ones torch_dtype
    if (config.dtype != "float32" && config.dtype != "bfloat16" && config.dtype != "float16")
        json.fail("dtype", "'" + config.dtype + "' is not supported (float32, bfloat16, float16)");
    for (const char* key : metadataFields)
        json.ignore(key);

    family->read(json, config);
    json.rejectUnknown();
    withContext("config.json", [&] { config.validate(); });
    return config;
}

nlohmann::json toHfConfig(const ModelConfig& config)
{
    const HfFamily* family = findFamily(config.familyName());
    if (!family)
        throw Error("model family '" + config.familyName() + "' has no config.json mapping");
    nlohmann::json json;
    json["model_type"] = family->modelType;
    json["architectures"] = {family->architecture};
    json["vocab_size"] = config.vocabSize;
    json["initializer_range"] = config.initStd;
    json["tie_word_embeddings"] = config.tieEmbeddings;
    json["torch_dtype"] = config.dtype;
    auto tokenId = [](int64_t id) { return id >= 0 ? nlohmann::json(id) : nlohmann::json(); };
    json["bos_token_id"] = tokenId(config.bosTokenId);
    json["pad_token_id"] = tokenId(config.padTokenId);
    if (config.eosTokenIds.size() == 1)
        json["eos_token_id"] = config.eosTokenIds.front();
    else if (!config.eosTokenIds.empty())
        json["eos_token_id"] = config.eosTokenIds;
    else
        json["eos_token_id"] = nullptr;
    family->write(config, json);
    return json;
}

std::filesystem::path adapterBaseFolder(const std::filesystem::path& adapterFolder)
{
    const std::filesystem::path file = adapterFolder / "adapter_config.json";
    const nlohmann::json json = readJsonFile(file);
    const auto base = json.find("base_model_name_or_path");
    if (base == json.end() || !base->is_string() || base->get<std::string>().empty())
        throw Error(file.string() + ": base_model_name_or_path names no base model");
    const std::filesystem::path named = base->get<std::string>();
    const std::filesystem::path folder = named.is_absolute() ? named : adapterFolder / named;
    if (!std::filesystem::is_regular_file(folder / "config.json"))
        throw Error(file.string() + ": base model \"" + named.string() +
                    "\" is not a model folder here (no " + (folder / "config.json").string() + ")");
    return folder;
}

ModelConfig readModelConfig(const std::filesystem::path& folder)
{
    if (std::filesystem::is_regular_file(folder / "adapter_config.json"))
        return readModelConfig(adapterBaseFolder(folder));
    const std::filesystem::path file = folder / "config.json";
    const nlohmann::json json = readJsonFile(file);
    return withContext(file.string(), [&] { return fromHfConfig(json); });
}

} // namespace rlhf::model
