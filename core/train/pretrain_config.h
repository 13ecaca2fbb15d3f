// Everything a pretraining run needs, as one JSON document per run: the wizard writes it, the
// CLI (`rlhf train run.json`) reads it. Field names are snake_case in JSON, camelCase here.
#pragma once

#include "core/model/model_config.h"
#include "core/train/training_options.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>

namespace rlhf::train {

struct PretrainConfig : TrainingOptions {
    std::string name = "pretrain"; // run name: checkpoints go to checkpoints/<name>/
    std::string trainTokens;       // .u32 token file of the training split (project-relative)
    std::string valTokens;         // .u32 token file of the validation split; may be empty
    std::string tokenizer;         // tokenizer.json copied into every checkpoint; may be empty
    model::ModelConfig model;      // sequences are model.contextLength tokens long
    std::string resumeFrom;        // checkpoint folder to continue from; empty = fresh start
};

// Parses a stage document ("stage": "pretrain"). `where` names the file in messages.
// Throws rlhf::Error naming the field for unknown fields, wrong types and out-of-range values.
PretrainConfig pretrainConfigFromJson(const nlohmann::json& json, const std::string& where);
nlohmann::json toJson(const PretrainConfig& config);

} // namespace rlhf::train
