// A Hugging Face model folder (a Llama, Qwen, Mistral or GPT-2 from the Hub, or one of our
// checkpoints) as the studio meets it: what it holds, read from config.json and the file sizes
// without loading the weights, and adding it to a project as a base model that fine-tuning
// starts from and chat and the arena talk with; or a LoRA adapter on such a model. What `rlhf
// model info / add` print and the studio's "Add model…" dialog shows.
#pragma once

#include "core/store/records.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace rlhf::store {
class Project;
}

namespace rlhf::train {

// The folder that holds config.json: `folder` itself, or for a Hugging Face cache folder
// (models--Org--Name) the snapshot refs/main names, else its only snapshot; an adapter folder
// (adapter_config.json) as it is. Throws rlhf::Error
// naming the folder when there is none.
std::filesystem::path modelFolderOf(const std::filesystem::path& folder);

// The folder's family and shape, exact parameter count, dtype and bytes on disk, the memory
// chatting with it and fully fine-tuning it take, whether it has a tokenizer, and its chat
// template with a preview ({"file", "preview"}, {"error"} when unusable, null when none).
// Throws rlhf::Error naming config.json when the model cannot be built here.
nlohmann::ordered_json describeModelFolder(const std::filesystem::path& folder);

// The name a folder suggests: "Qwen2.5-0.5B" for .../models--Qwen--Qwen2.5-0.5B/snapshots/<hash>,
// else the folder's own name.
std::string suggestedModelName(const std::filesystem::path& folder);

// Checks that the studio can fine-tune and chat with the model in `folder` (config.json, every
// weight file's header, tokenizer.json that loads and fits the model's vocabulary, a chat
// template that parses) and records it in the project as `name`. The weights stay where they
// are: the path is absolute unless the folder is inside the project. Throws rlhf::Error naming
// the file and what is wrong; nothing is recorded then. An adapter folder: addAdapterModel.
store::BaseModel addBaseModel(store::Project& project, const std::filesystem::path& folder,
                              const std::string& name);

// A PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors, e.g. from the
// Hub) on `base`, a model folder here (empty: the folder base_model_name_or_path names, when it
// is one here). Checks every adapter tensor against the base's layers (names and shapes, without
// loading the base's weights), then writes the adapter into the project's adapters/<name>/ with
// base_model_name_or_path set to the base's folder, and the adapter's tokenizer and chat template
// files (the base's where it has none), and records that folder as a model of the project: chat,
// the arena and the stages then use it as base + adapter. Throws rlhf::Error naming the file and
// what is wrong; nothing is written then.
store::BaseModel addAdapterModel(store::Project& project, const std::filesystem::path& adapter,
                                 const std::filesystem::path& base, const std::string& name);

} // namespace rlhf::train
