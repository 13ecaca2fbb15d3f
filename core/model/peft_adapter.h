// A LoRA adapter folder as PEFT writes and reads it (save_pretrained / PeftModel.from_pretrained):
//   adapter_config.json         {"peft_type": "LORA", "r": 16, "lora_alpha": 32, ...}
//   adapter_model.safetensors   "base_model.model.<module>.lora_A.weight" (rank, in),
//                               ".lora_B.weight" (out, rank), DoRA's ".lora_magnitude_vector"
// GPT-2's Conv1D layers are marked fan_in_fan_out, as PEFT needs; the tensors are the same.
#pragma once

#include "core/model/lora.h"
#include "core/model/tensor_io.h"

#include <filesystem>
#include <string>

namespace rlhf::model {

struct AdapterFolder {
    LoraConfig config;
    // By the Transformer's adapter names (model/transformer.h), without PEFT's prefix.
    NamedTensors tensors;
    std::string baseModel; // base_model_name_or_path; may be empty
};

bool isAdapterFolder(const std::filesystem::path& folder); // has adapter_config.json

// Writes adapter_config.json and adapter_model.safetensors into `folder` (which must exist).
// `fanInFanOut`: the base's layers store (in, out) weights (GPT-2).
void saveAdapter(const std::filesystem::path& folder, const AdapterFolder& adapter,
                 bool fanInFanOut);

// Reads a PEFT LoRA adapter. What this studio cannot apply as PEFT would is refused, naming the
// file and field: another peft_type, trained biases, modules_to_save, alpha_pattern. Ranks may
// differ per layer (rank_pattern): each layer's comes from its tensors.
AdapterFolder loadAdapter(const std::filesystem::path& folder);

} // namespace rlhf::model
