// What every training stage shares in its JSON document: the "optimizer" block (AdamW, the
// learning-rate schedule, gradient clipping) and the "training" block (steps, batch, seed,
// device, precision, logging, evaluation and checkpoint intervals). Stage configs inherit it.
#pragma once

#include "core/train/adamw.h"
#include "core/train/lr_schedule.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>

namespace rlhf {
class JsonReader;
}

namespace rlhf::train {

enum class Precision {
    Auto,     // bf16 autocast where it is faster (CUDA, or a CPU with AVX-512 BF16), else fp32
    Float32,  // fp32 everywhere
    BFloat16, // bf16 autocast even where it is slow (matmuls in bf16, fp32 master weights)
};

std::string precisionName(Precision precision);

struct TrainingOptions {
    LrSchedule schedule; // totalSteps defaults to `steps`
    AdamWConfig optimizer;
    double gradClip = 1.0;        // max global gradient L2 norm; 0 disables clipping
    int64_t steps = 1000;         // optimizer steps in total
    int64_t batchSize = 8;        // sequences (or pairs, or prompts) per micro-batch, e.g. 8
    int64_t gradAccumulation = 1; // micro-batches per optimizer step
    uint64_t seed = 1337;         // seeds the weights and the batch order
    Precision precision = Precision::Auto;
    int threads = 0;               // CPU threads; 0 = all cores
    std::string device = "auto";   // "auto" (CUDA when present), "cpu" or "cuda"
    int64_t logEvery = 10;         // steps between log lines
    int64_t evalEvery = 100;       // steps between evaluations; 0 = only at the end
    int64_t evalBatches = 8;       // batches per evaluation
    int64_t checkpointEvery = 500; // steps between checkpoints; 0 = only at the end
};

// Reads root's "optimizer" and "training" children into `options`, rejecting unknown fields
// and out-of-range values with messages naming the field.
void readTrainingOptions(JsonReader& root, TrainingOptions& options);
// Adds the "optimizer" and "training" blocks of `options` to `document`.
void writeTrainingOptions(const TrainingOptions& options, nlohmann::json& document);

// "checkpoints/run-N/step-000040": the folder name of the checkpoint saved after `step` steps.
std::string stepFolderName(int64_t step);

} // namespace rlhf::train
