// The config.json fields of every Llama-layout family: sizes, RMSNorm, SwiGLU, head_dim and the
// rotary positions, which transformers 5 writes as "rope_parameters" and earlier versions (and
// most models on the Hub) as "rope_theta" + "rope_scaling".
#include "core/model/families/family.h"

namespace rlhf::model {

namespace {

// The rope parameters object of either spelling: {"rope_type": "llama3", "factor": 8, ...}.
void readRopeParameters(JsonReader json, ModelConfig& config)
{
    std::string type = "default";
    if (json.has("type")) json.read("type", type); // the older key
    json.read("rope_type", type);
    const auto known = findWord(ropeTypeWords, type);
    if (!known)
        json.fail(json.has("rope_type") ? "rope_type" : "type",
                  "'" + type + "' is not supported (" + wordList(ropeTypeWords) + ")");
    RopeScaling& rope = config.rope;
    rope.type = *known;
    json.read("rope_theta", config.ropeTheta);
    double partial = 1.0;
    json.read("partial_rotary_factor", partial);
    if (partial != 1.0)
        json.fail("partial_rotary_factor", "only 1.0 (every dimension) is supported");
    switch (rope.type) {
    case RopeType::Default:
        break;
    case RopeType::Linear:
    case RopeType::Dynamic:
        json.require("factor", rope.factor);
        break;
    case RopeType::Llama3:
        json.require("factor", rope.factor);
        json.require("low_freq_factor", rope.lowFreqFactor);
        json.require("high_freq_factor", rope.highFreqFactor);
        json.require("original_max_position_embeddings", rope.originalContext);
        break;
    case RopeType::Yarn:
        json.require("original_max_position_embeddings", rope.originalContext);
        rope.factor = 0.0; // null: the ratio of the two context lengths, as transformers does
        json.readNullable("factor", rope.factor);
        if (rope.factor == 0.0)
            rope.factor = double(config.contextLength) / double(rope.originalContext);
        json.readNullable("beta_fast", rope.betaFast);
        json.readNullable("beta_slow", rope.betaSlow);
        json.readNullable("truncate", rope.truncate);
        json.readNullable("attention_factor", rope.attentionFactor);
        json.readNullable("mscale", rope.mscale);
        json.readNullable("mscale_all_dim", rope.mscaleAllDim);
        break;
    }
    // Dynamic scaling only changes positions beyond the original context, which the model never
    // reaches here (contextLength = max_position_embeddings); the field may name it anyway.
    if (rope.type == RopeType::Dynamic) json.ignore("original_max_position_embeddings");
    json.rejectUnknown();
}

void writeRopeParameters(const ModelConfig& config, nlohmann::json& json)
{
    json["rope_theta"] = config.ropeTheta;
    const RopeScaling& rope = config.rope;
    if (rope.type == RopeType::Default) {
        json["rope_scaling"] = nullptr;
        return;
    }
    nlohmann::json scaling{{"rope_type", std::string(wordOf(ropeTypeWords, rope.type))},
                           {"factor", rope.factor}};
    if (rope.type == RopeType::Llama3) {
        scaling["low_freq_factor"] = rope.lowFreqFactor;
        scaling["high_freq_factor"] = rope.highFreqFactor;
    }
    if (rope.type == RopeType::Llama3 || rope.type == RopeType::Yarn)
        scaling["original_max_position_embeddings"] = rope.originalContext;
    if (rope.type == RopeType::Yarn) {
        scaling["beta_fast"] = rope.betaFast;
        scaling["beta_slow"] = rope.betaSlow;
        scaling["truncate"] = rope.truncate;
        if (rope.attentionFactor > 0) scaling["attention_factor"] = rope.attentionFactor;
        if (rope.mscale > 0) scaling["mscale"] = rope.mscale;
        if (rope.mscaleAllDim > 0) scaling["mscale_all_dim"] = rope.mscaleAllDim;
    }
    json["rope_scaling"] = scaling;
}

} // namespace

void readLlamaLayout(JsonReader& json, ModelConfig& config, bool tied)
{
    config.flavour = Flavour::Llama;
    json.require("max_position_embeddings", config.contextLength);
    json.require("num_hidden_layers", config.layers);
    json.require("num_attention_heads", config.heads);
    config.kvHeads = config.heads;
    json.readNullable("num_key_value_heads", config.kvHeads);
    json.require("hidden_size", config.dim);
    json.readNullable("head_dim", config.headDimension);
    if (config.headDimension > 0 && config.heads > 0 &&
        config.headDimension * config.heads == config.dim)
        config.headDimension = 0; // the derived one
    json.require("intermediate_size", config.ffnDim);
    config.normEps = 1e-6;
    json.read("rms_norm_eps", config.normEps);
    config.tieEmbeddings = tied;
    json.read("tie_word_embeddings", config.tieEmbeddings);

    std::string activation = "silu";
    json.read("hidden_act", activation);
    if (activation != "silu")
        json.fail("hidden_act", "'" + activation + "' is not supported (silu)");
    bool mlpBias = false;
    json.read("mlp_bias", mlpBias);
    if (mlpBias) json.fail("mlp_bias", "true is not supported");
    json.ignore("attention_dropout"); // training-time noise: the studio fine-tunes without it

    if (json.has("rope_parameters")) {
        readRopeParameters(json.child("rope_parameters"), config);
        return;
    }
    json.read("rope_theta", config.ropeTheta);
    const double theta = config.ropeTheta;
    if (json.has("rope_scaling") && !json.raw("rope_scaling").is_null()) {
        readRopeParameters(json.child("rope_scaling"), config);
        config.ropeTheta = theta; // the outer rope_theta wins, as in transformers
    } else {
        json.ignore("rope_scaling");
    }
}

void writeLlamaLayout(const ModelConfig& config, nlohmann::json& json)
{
    json["max_position_embeddings"] = config.contextLength;
    json["num_hidden_layers"] = config.layers;
    json["num_attention_heads"] = config.heads;
    json["num_key_value_heads"] = config.kvHeadCount();
    json["hidden_size"] = config.dim;
    json["head_dim"] = config.headDim();
    json["intermediate_size"] = config.ffnHidden();
    json["rms_norm_eps"] = config.normEps;
    json["hidden_act"] = "silu";
    json["mlp_bias"] = false;
    json["attention_dropout"] = 0.0;
    writeRopeParameters(config, json);
}

void readLayerTypes(JsonReader& json, ModelConfig& config)
{
    bool useWindow = false;
    int64_t window = 4096, firstSliding = 28; // Qwen2Config's defaults
    json.read("use_sliding_window", useWindow);
    json.readNullable("sliding_window", window);
    json.read("max_window_layers", firstSliding);
    config.slidingWindow = useWindow ? window : 0;
    config.slidingLayers.clear();
    const nlohmann::json& types = json.raw("layer_types");
    if (types.is_null()) {
        if (config.slidingWindow > 0)
            for (int64_t layer = 0; layer < config.layers; ++layer)
                config.slidingLayers.push_back(layer >= firstSliding);
        return;
    }
    if (!types.is_array()) json.fail("layer_types", "expected a list, got " + types.dump());
    for (const auto& type : types) {
        if (type == "full_attention")
            config.slidingLayers.push_back(false);
        else if (type == "sliding_attention" && config.slidingWindow > 0)
            config.slidingLayers.push_back(true);
        else
            json.fail("layer_types", "entry " + type.dump() +
                                         " is not supported (full_attention, or "
                                         "sliding_attention with use_sliding_window)");
    }
}

void writeLayerTypes(const ModelConfig& config, nlohmann::json& json)
{
    json["use_sliding_window"] = config.slidingWindow > 0;
    json["sliding_window"] =
        config.slidingWindow > 0 ? nlohmann::json(config.slidingWindow) : nlohmann::json();
    nlohmann::json types = nlohmann::json::array();
    int64_t firstSliding = config.layers;
    for (int64_t layer = 0; layer < config.layers; ++layer) {
        const bool sliding = config.slidingLayer(layer);
        if (sliding) firstSliding = std::min(firstSliding, layer);
        types.push_back(sliding ? "sliding_attention" : "full_attention");
    }
    json["max_window_layers"] = firstSliding;
    json["layer_types"] = types;
}

} // namespace rlhf::model
