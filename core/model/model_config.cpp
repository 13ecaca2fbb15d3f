#include "core/model/model_config.h"

#include "core/util/error.h"

#include <nlohmann/json.hpp>

namespace rlhf::model {

int64_t ModelConfig::ffnHidden() const
{
    if (ffnDim > 0) return ffnDim;
    if (flavour == Flavour::Gpt2) return 4 * dim;
    // Llama: 2/3 of 4*dim, rounded up to a multiple of 64 for friendly matmul shapes.
    const int64_t raw = 8 * dim / 3;
    return (raw + 63) / 64 * 64;
}

void ModelConfig::validate() const
{
    auto require = [](bool ok, const std::string& message) {
        if (!ok) throw Error(message);
    };
    require(vocabSize > 0, "vocab_size must be positive, got " + std::to_string(vocabSize));
    require(contextLength > 0,
            "context length must be positive, got " + std::to_string(contextLength));
    require(layers > 0, "layers must be positive, got " + std::to_string(layers));
    require(heads > 0, "heads must be positive, got " + std::to_string(heads));
    require(dim > 0 && dim % heads == 0, "dim " + std::to_string(dim) +
                                             " must be a positive multiple of heads " +
                                             std::to_string(heads));
    require(kvHeadCount() > 0 && heads % kvHeadCount() == 0,
            "heads " + std::to_string(heads) + " must be a multiple of kv heads " +
                std::to_string(kvHeadCount()));
    require(flavour == Flavour::Llama || kvHeadCount() == heads,
            "grouped-query attention (kv heads != heads) needs the llama flavour");
    require(flavour == Flavour::Gpt2 || headDim() % 2 == 0,
            "rotary positions need an even head dimension, got " + std::to_string(headDim()));
    require(normEps > 0, "norm epsilon must be positive");
}

std::string flavourName(Flavour flavour)
{
    return std::string(wordOf(flavourWords, flavour));
}

Flavour flavourFromName(const std::string& name)
{
    if (const auto flavour = findWord(flavourWords, name)) return *flavour;
    throw Error("unknown model flavour '" + name + "' (expected " + wordList(flavourWords) + ")");
}

nlohmann::json toHfConfig(const ModelConfig& config)
{
    nlohmann::json json;
    json["vocab_size"] = config.vocabSize;
    json["initializer_range"] = config.initStd;
    json["tie_word_embeddings"] = config.tieEmbeddings;
    if (config.flavour == Flavour::Gpt2) {
        json["model_type"] = "gpt2";
        json["architectures"] = {"GPT2LMHeadModel"};
        json["n_positions"] = config.contextLength;
        json["n_ctx"] = config.contextLength;
        json["n_layer"] = config.layers;
        json["n_head"] = config.heads;
        json["n_embd"] = config.dim;
        json["n_inner"] = config.ffnHidden();
        json["layer_norm_epsilon"] = config.normEps;
        json["activation_function"] = "gelu_new";
        json["resid_pdrop"] = 0.0;
        json["embd_pdrop"] = 0.0;
        json["attn_pdrop"] = 0.0;
    } else {
        json["model_type"] = "llama";
        json["architectures"] = {"LlamaForCausalLM"};
        json["max_position_embeddings"] = config.contextLength;
        json["num_hidden_layers"] = config.layers;
        json["num_attention_heads"] = config.heads;
        json["num_key_value_heads"] = config.kvHeadCount();
        json["hidden_size"] = config.dim;
        json["intermediate_size"] = config.ffnHidden();
        json["rms_norm_eps"] = config.normEps;
        json["rope_theta"] = config.ropeTheta;
        json["hidden_act"] = "silu";
        json["attention_bias"] = false;
    }
    return json;
}

namespace {

template <typename T> T field(const nlohmann::json& json, const char* name)
{
    if (!json.contains(name)) throw Error(std::string("missing field '") + name + "'");
    try {
        return json.at(name).get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Error(std::string("field '") + name +
                    "' has the wrong type: " + json.at(name).dump());
    }
}

template <typename T> T optionalField(const nlohmann::json& json, const char* name, T fallback)
{
    if (!json.contains(name) || json.at(name).is_null()) return fallback;
    return field<T>(json, name);
}

} // namespace

ModelConfig fromHfConfig(const nlohmann::json& json)
{
    if (!json.is_object()) throw Error("config.json is not a JSON object");
    ModelConfig config;
    const auto type = field<std::string>(json, "model_type");
    config.vocabSize = field<int64_t>(json, "vocab_size");
    config.initStd = optionalField<double>(json, "initializer_range", 0.02);
    if (type == "gpt2") {
        config.flavour = Flavour::Gpt2;
        config.contextLength = field<int64_t>(json, "n_positions");
        config.layers = field<int64_t>(json, "n_layer");
        config.heads = field<int64_t>(json, "n_head");
        config.dim = field<int64_t>(json, "n_embd");
        config.ffnDim = optionalField<int64_t>(json, "n_inner", 0);
        config.normEps = optionalField<double>(json, "layer_norm_epsilon", 1e-5);
        config.tieEmbeddings = optionalField<bool>(json, "tie_word_embeddings", true);
    } else if (type == "llama") {
        config.flavour = Flavour::Llama;
        config.contextLength = field<int64_t>(json, "max_position_embeddings");
        config.layers = field<int64_t>(json, "num_hidden_layers");
        config.heads = field<int64_t>(json, "num_attention_heads");
        config.kvHeads = optionalField<int64_t>(json, "num_key_value_heads", config.heads);
        config.dim = field<int64_t>(json, "hidden_size");
        config.ffnDim = field<int64_t>(json, "intermediate_size");
        config.normEps = optionalField<double>(json, "rms_norm_eps", 1e-6);
        config.ropeTheta = optionalField<double>(json, "rope_theta", 10000.0);
        config.tieEmbeddings = optionalField<bool>(json, "tie_word_embeddings", false);
    } else {
        throw Error("model_type '" + type + "' is not supported (gpt2 or llama)");
    }
    config.validate();
    return config;
}

} // namespace rlhf::model
