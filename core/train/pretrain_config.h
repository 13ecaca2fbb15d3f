// Everything a pretraining run needs, as one JSON document per run: the wizard writes it, the
// CLI (`rlhf train run.json`) reads it. Field names are snake_case in JSON, camelCase here.
#pragma once

#include "core/model/model_config.h"
#include "core/train/adamw.h"
#include "core/train/lr_schedule.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>

namespace rlhf::train {

enum class Precision {
    Auto,     // bf16 autocast where it is faster (CUDA, or a CPU with AVX-512 BF16), else fp32
    Float32,  // fp32 everywhere
    BFloat16, // bf16 autocast even where it is slow (matmuls in bf16, fp32 master weights)
};

struct PretrainConfig {
    std::string name = "pretrain"; // run name: checkpoints go to checkpoints/<name>/
    std::string trainTokens;       // .u32 token file of the training split (project-relative)
    std::string valTokens;         // .u32 token file of the validation split; may be empty
    std::string tokenizer;         // tokenizer.json copied into every checkpoint; may be empty
    model::ModelConfig model;      // sequences are model.contextLength tokens long
    LrSchedule schedule;           // totalSteps defaults to `steps`
    AdamWConfig optimizer;
    double gradClip = 1.0;        // max global gradient L2 norm; 0 disables clipping
    int64_t steps = 1000;         // optimizer steps in total
    int64_t batchSize = 8;        // sequences per micro-batch, e.g. 8
    int64_t gradAccumulation = 1; // micro-batches per optimizer step
    uint64_t seed = 1337;         // seeds the weights and the batch order
    Precision precision = Precision::Auto;
    int threads = 0;               // CPU threads; 0 = all cores
    std::string device = "auto";   // "auto" (CUDA when present), "cpu" or "cuda"
    int64_t logEvery = 10;         // steps between train-loss log lines
    int64_t evalEvery = 100;       // steps between validation passes; 0 = only at the end
    int64_t evalBatches = 8;       // batches per validation pass
    int64_t checkpointEvery = 500; // steps between checkpoints; 0 = only at the end
    std::string resumeFrom;        // checkpoint folder to continue from; empty = fresh start
};

// Parses a stage document ("stage": "pretrain"). `where` names the file in messages.
// Throws rlhf::Error naming the field for unknown fields, wrong types and out-of-range values.
PretrainConfig pretrainConfigFromJson(const nlohmann::json& json, const std::string& where);
nlohmann::json toJson(const PretrainConfig& config);

std::string precisionName(Precision precision);

} // namespace rlhf::train
