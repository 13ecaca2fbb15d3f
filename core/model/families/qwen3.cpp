// Qwen3 (Qwen3ForCausalLM): the Llama layout with an RMSNorm over each head's queries and keys
// (q_norm, k_norm, before the rotation), an explicit head_dim, and optional attention biases.
#include "core/model/families/family.h"

namespace rlhf::model {

namespace {

void read(JsonReader& json, ModelConfig& config)
{
    readLlamaLayout(json, config, /*tied=*/false);
    config.qkNorm = true;
    bool bias = false;
    json.read("attention_bias", bias);
    config.qkvBias = config.outputBias = bias;
    readLayerTypes(json, config);
}

void write(const ModelConfig& config, nlohmann::json& json)
{
    writeLlamaLayout(config, json);
    json["attention_bias"] = config.qkvBias;
    writeLayerTypes(config, json);
}

} // namespace

const HfFamily qwen3Family{"qwen3", "Qwen3ForCausalLM", read, write};

} // namespace rlhf::model
