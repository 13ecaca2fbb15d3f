// What every training stage shares in its JSON document: the "optimizer" block (AdamW, the
// learning-rate schedule, gradient clipping) and the "training" block (steps, batch, seed,
// device, precision, logging, evaluation and checkpoint intervals). Stage configs inherit it.
#pragma once

#include "core/train/adamw.h"
#include "core/store/records.h"
#include "core/train/lr_schedule.h"
#include "core/util/word_table.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rlhf {
class JsonReader;
template <typename Config> class JsonFields;
} // namespace rlhf

namespace rlhf::train {

enum class Precision {
    Auto,     // bf16 autocast where it is faster (CUDA, or a CPU with AVX-512 BF16), else fp32
    Float32,  // fp32 everywhere
    BFloat16, // bf16 autocast even where it is slow (matmuls in bf16, fp32 master weights)
};

inline constexpr WordTable<Precision, 3> precisionWords{{
    {Precision::Auto, "auto"},
    {Precision::Float32, "fp32"},
    {Precision::BFloat16, "bf16"},
}};

std::string precisionName(Precision precision);

enum class Device {
    Auto, // CUDA (GPU 0) when present, else the CPU
    Cpu,
    Cuda, // GPU `gpu`; fails when it is not present
};

inline constexpr WordTable<Device, 3> deviceWords{{
    {Device::Auto, "auto"},
    {Device::Cpu, "cpu"},
    {Device::Cuda, "cuda"},
}};

// Where a run computes, as documents and the CLI write it: "auto", "cpu", "cuda" (GPU 0) or
// "cuda:N" (GPU N).
struct DeviceChoice {
    Device kind = Device::Auto;
    int gpu = 0; // the GPU index for Device::Cuda
    bool operator==(const DeviceChoice&) const = default;
};
inline constexpr const char* deviceWordList = "auto, cpu, cuda or cuda:N";
std::optional<DeviceChoice> findDevice(std::string_view text);
// Throws rlhf::Error "unknown device 'x': expected auto, cpu, cuda or cuda:N".
DeviceChoice parseDevice(std::string_view text);
std::string deviceName(const DeviceChoice& device);

struct TrainingOptions {
    LrSchedule schedule; // totalSteps defaults to `steps`
    AdamWConfig optimizer;
    double gradClip = 1.0;        // max global gradient L2 norm; 0 disables clipping
    int64_t steps = 1000;         // optimizer steps in total
    int64_t batchSize = 8;        // sequences (pairs, prompts) per micro-batch and rank, e.g. 8
    int64_t gradAccumulation = 1; // micro-batches per optimizer step
    uint64_t seed = 1337;         // seeds the weights and the batch order
    Precision precision = Precision::Auto;
    int threads = 0;     // CPU threads; 0 = all cores
    DeviceChoice device; // "auto", "cpu", "cuda" or "cuda:N" in documents
    // Keep only each block's input for backward and recompute the rest there: ~1/3 more
    // compute for activations a fraction of the size (what lets a 1B model train on 24 GB).
    bool activationCheckpointing = false;
    // GPU kernels that repeat their results bit for bit (cuBLAS' fixed workspace, deterministic
    // algorithms) at some cost in speed; the CPU always repeats.
    bool deterministic = false;
    // ZeRO stage 1 over N data-parallel ranks: each rank keeps AdamW's moments (8 bytes per fp32
    // parameter) for its own 1/N of the parameters only, steps those and broadcasts them; the
    // same results and checkpoint files as unsharded. One process: no effect.
    bool shardOptimizerState = false;
    // Over several ranks: average gradients in buckets while the step's last backward pass
    // still runs (DDP's overlap) rather than all after it. Same results either way.
    bool overlapGradientReduction = true;
    int64_t logEvery = 10;   // steps between log lines
    int64_t evalEvery = 100; // steps between evaluations; 0 = only at the end
    int64_t evalBatches = 8; // global batches (batch_size x ranks) per evaluation, split over ranks
    int64_t checkpointEvery = 500; // steps between checkpoints; 0 = only at the end
};

// The "optimizer" and "training" blocks of a stage document, with their range checks: every
// stage's field list includes them.
const JsonFields<TrainingOptions>& trainingOptionFields();

// Reads the "stage" field every document has: required, and it must be `expected`.
void readStageField(JsonReader& root, store::RunStage expected);

// "checkpoints/run-N/step-000040": the folder name of the checkpoint saved after `step` steps.
std::string stepFolderName(int64_t step);

} // namespace rlhf::train
