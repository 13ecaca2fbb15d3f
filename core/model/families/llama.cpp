// Llama 1-3.x (LlamaForCausalLM), and SmolLM, TinyLlama and the other models saved as "llama":
// the Llama layout, optionally with attention biases (on q, k, v and o together).
#include "core/model/families/family.h"

namespace rlhf::model {

namespace {

void read(JsonReader& json, ModelConfig& config)
{
    readLlamaLayout(json, config, /*tied=*/false);
    bool bias = false;
    json.read("attention_bias", bias);
    config.qkvBias = config.outputBias = bias;
    // Tensor-parallel slicing during pretraining: transformers computes the same products.
    json.ignore("pretraining_tp");
}

void write(const ModelConfig& config, nlohmann::json& json)
{
    writeLlamaLayout(config, json);
    json["attention_bias"] = config.qkvBias;
    json["pretraining_tp"] = 1;
}

} // namespace

const HfFamily llamaFamily{"llama", "LlamaForCausalLM", read, write};

} // namespace rlhf::model
