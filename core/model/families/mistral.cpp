// Mistral (MistralForCausalLM): the Llama layout where every layer attends through a sliding
// window (sliding_window; null since v0.2 means the whole context).
#include "core/model/families/family.h"

namespace rlhf::model {

namespace {

void read(JsonReader& json, ModelConfig& config)
{
    readLlamaLayout(json, config, /*tied=*/false);
    config.slidingWindow = 4096; // MistralConfig's default when the field is absent
    if (json.has("sliding_window") && json.raw("sliding_window").is_null())
        config.slidingWindow = 0;
    else
        json.read("sliding_window", config.slidingWindow);
    if (json.has("layer_types"))
        json.fail("layer_types", "per-layer attention types are Ministral's, not Mistral's");
}

void write(const ModelConfig& config, nlohmann::json& json)
{
    writeLlamaLayout(config, json);
    json["sliding_window"] =
        config.slidingWindow > 0 ? nlohmann::json(config.slidingWindow) : nlohmann::json();
}

} // namespace

const HfFamily mistralFamily{"mistral", "MistralForCausalLM", read, write};

} // namespace rlhf::model
