// A checkpoint is a Hugging Face model folder plus training state:
//   config.json (HF names), model.safetensors (or shards + index: model_weights.h),
//   tokenizer.json (when known) and, for a model that came with them, its chat template and
//   tokenizer settings (tokenizer_config.json, chat_template.jinja, ...),
//   optimizer.safetensors (AdamW moments + step), trainer_state.json (step, config, metrics),
//   and any stage extras (score.safetensors: the scalar head of a reward or value model).
// A LoRA run's checkpoint holds its adapter instead of weights and config.json
// (adapter_config.json + adapter_model.safetensors, PEFT's files, model/peft_adapter.h), whose
// base_model_name_or_path is the base model's folder; loading it gives base + adapter merged.
// Written to "<folder>.tmp", fsynced, then renamed, so a crash never leaves half a checkpoint.
#pragma once

#include "core/model/hf_config.h"
#include "core/model/peft_adapter.h"
#include "core/model/tensor_io.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

namespace rlhf::model {

class TransformerImpl;
class Transformer;

struct CheckpointContents {
    NamedTensors optimizerState;     // empty: no optimizer.safetensors is written
    nlohmann::json trainerState;     // e.g. {"step": 400, "config": {...}}; null: not written
    std::filesystem::path tokenizer; // tokenizer.json to copy in; empty: none
    // The model folder whose companions of the tokenizer come along as they are: its
    // tokenizer_config.json (special tokens, chat template), chat_template.jinja,
    // special_tokens_map.json and generation_config.json, those it has. Empty: none.
    std::filesystem::path companionsFrom;
    // More safetensors files by name, e.g. {"score.safetensors", reward head}: stage extras.
    std::vector<std::pair<std::string, NamedTensors>> tensorFiles;
    // The weights' dtype on disk: float32 keeps training's master weights exact (resume);
    // bfloat16 / float16 halve an exported model. config.json says which.
    std::string weightsDtype = "float32";
    uint64_t maxShardBytes = 5'000'000'000; // transformers' default
    // Set: the checkpoint holds this adapter (PEFT's files), not the model's weights.
    std::optional<AdapterFolder> adapter;
};

// Saves `model` and `contents` as `folder` atomically (replacing an older folder of that name).
void saveCheckpoint(const std::filesystem::path& folder, TransformerImpl& model,
                    const CheckpointContents& contents);

// Reads config.json of an HF model folder (ours or another tool's); of an adapter
// checkpoint, its base's.
ModelConfig loadCheckpointConfig(const std::filesystem::path& folder);

// Copies the folder's weights (model.safetensors or its shards; fp32, bf16 or fp16) into `model`'s
// parameters, converting each tensor from the mapped file: every parameter must be present with
// its exact shape; a tied lm_head.weight in the file is accepted. Errors name folder and tensor.
void loadCheckpointWeights(const std::filesystem::path& folder, TransformerImpl& model);

// A new Transformer of the folder's config.json with the weights of its model.safetensors: what
// every stage starts from and every decoder talks with. In training mode, on the CPU. An
// adapter checkpoint gives its base with the adapter merged in.
Transformer loadTransformer(const std::filesystem::path& folder);

NamedTensors loadOptimizerState(const std::filesystem::path& folder);
nlohmann::json loadTrainerState(const std::filesystem::path& folder);

} // namespace rlhf::model
