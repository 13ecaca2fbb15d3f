// One Hugging Face model family (a model_type of config.json): its *ForCausalLM class and the
// mapping of its fields onto ModelConfig, as llama.cpp keeps one file per architecture.
// `read` asks the JsonReader for every field it understands, with the family's own defaults
// where a field is absent; hf_config.cpp refuses whatever is left.
#pragma once

#include "core/model/model_config.h"
#include "core/util/json_reader.h"

#include <nlohmann/json.hpp>

#include <string_view>

namespace rlhf::model {

struct HfFamily {
    std::string_view modelType;    // "qwen2"
    std::string_view architecture; // "Qwen2ForCausalLM"
    void (*read)(JsonReader& json, ModelConfig& config);
    void (*write)(const ModelConfig& config, nlohmann::json& json);
};

extern const HfFamily gpt2Family;
extern const HfFamily llamaFamily;
extern const HfFamily mistralFamily;
extern const HfFamily qwen2Family;
extern const HfFamily qwen3Family;

// The fields every Llama-layout family shares (llama_layout.cpp): sizes, RMSNorm, SwiGLU,
// head_dim, rotary positions with their scaling. `tied`: the family's tie_word_embeddings
// default when the field is absent.
void readLlamaLayout(JsonReader& json, ModelConfig& config, bool tied);
void writeLlamaLayout(const ModelConfig& config, nlohmann::json& json);

// Qwen-style sliding windows: use_sliding_window, sliding_window, max_window_layers and
// transformers 5's layer_types ("full_attention" / "sliding_attention" per layer).
void readLayerTypes(JsonReader& json, ModelConfig& config);
void writeLayerTypes(const ModelConfig& config, nlohmann::json& json);

} // namespace rlhf::model
