// Qwen2 and Qwen2.5 (Qwen2ForCausalLM): the Llama layout with biases on the q, k and v
// projections (never on o), and optional sliding windows on the upper layers.
#include "core/model/families/family.h"

namespace rlhf::model {

namespace {

void read(JsonReader& json, ModelConfig& config)
{
    readLlamaLayout(json, config, /*tied=*/false);
    config.qkvBias = true;
    readLayerTypes(json, config);
}

void write(const ModelConfig& config, nlohmann::json& json)
{
    writeLlamaLayout(config, json);
    writeLayerTypes(config, json);
}

} // namespace

const HfFamily qwen2Family{"qwen2", "Qwen2ForCausalLM", read, write};

} // namespace rlhf::model
