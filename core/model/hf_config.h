// ModelConfig <-> the config.json of a Hugging Face model folder. One family per model_type
// (model/families/: gpt2, llama, mistral, qwen2, qwen3), each mapping its own field names and
// refusing what it cannot build: an unknown model_type, field or value is an error naming it,
// never a silently different model. Torch-free.
#pragma once

#include "core/model/model_config.h"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <string>

namespace rlhf::model {

// Throws rlhf::Error naming the field, e.g. "config.json: rope_scaling.rope_type: 'longrope' is
// not supported (default, linear, dynamic, llama3 or yarn)".
ModelConfig fromHfConfig(const nlohmann::json& json);
// The config.json transformers reads back as the same model (its *ForCausalLM class).
nlohmann::json toHfConfig(const ModelConfig& config);

std::string supportedModelTypes(); // "gpt2, llama, mistral, qwen2 or qwen3"

// The model folder a LoRA adapter folder (adapter_config.json) builds on: its
// base_model_name_or_path, which must be a model folder here (a relative one is taken from the
// adapter's folder). Throws naming the file otherwise.
std::filesystem::path adapterBaseFolder(const std::filesystem::path& adapterFolder);
// The config.json of a model folder, or of an adapter folder's base: without loading weights.
ModelConfig readModelConfig(const std::filesystem::path& folder);

} // namespace rlhf::model
