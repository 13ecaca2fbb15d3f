// What fine-tuning a model folder costs on this machine: the time and memory to load it (a
// Hugging Face folder: any family, dtype or sharding model/checkpoint.h reads) and to run
// fine-tuning steps on it (SFT's masked loss, AdamW) training every weight, or LoRA adapters on
// the frozen base, held in fp32 or quantised (QLoRA): what `rlhf bench finetune` prints.
#pragma once

#include "core/train/lora_options.h"
#include "core/train/pretrain_config.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace rlhf::tools {

struct FinetuneBenchOptions {
    std::filesystem::path checkpoint;
    int64_t batchSize = 1;
    int64_t length = 256; // tokens per sequence; the loss covers the second half (the "reply")
    int64_t steps = 2;    // the first allocates AdamW's moments, the rest are steady
    train::Precision precision = train::Precision::Auto;
    int threads = 0;
    std::string device = "auto";
    bool activationCheckpointing = false;
    std::optional<train::LoraOptions> lora; // set: adapters train, the base is frozen
};

struct FinetuneBenchResult {
    std::string family;
    int64_t parameters = 0;
    int64_t trainedParameters = 0; // in the optimizer: every weight, or the adapters'
    double weightsGb = 0;          // the model's weights as held: fp32, or quantised linears
    double loadSeconds = 0;        // config.json + weights into fp32 parameters
    double loadPeakMemoryGb = 0;   // peak resident set (CPU) or allocator peak (GPU) after it
    double firstStepSeconds = 0;   // forward, backward, clip, AdamW (allocates its moments)
    double stepSeconds = 0;        // median of the later steps (0 with one step)
    double peakMemoryGb = 0;       // over the whole run
    // CPU: the process's anonymous resident memory after the last step (weights, gradients,
    // optimizer state, what the allocator keeps), without the model file's mapped pages.
    double residentAfterGb = 0;
    double firstLoss = 0;
    std::string setup;
};

FinetuneBenchResult benchFinetune(const FinetuneBenchOptions& options);

} // namespace rlhf::tools
