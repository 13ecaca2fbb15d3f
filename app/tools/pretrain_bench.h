// Throughput of the pretraining step on synthetic tokens, and of the raw GEMM it is built on:
// what `rlhf bench pretrain` and `rlhf bench gemm` print. Speed goals live here, not in tests.
#pragma once

#include "core/model/model_config.h"
#include "core/train/pretrain_config.h"

#include <cstdint>

namespace rlhf::tools {

struct PretrainBenchOptions {
    model::ModelConfig model;
    int64_t batchSize = 8;   // sequences per step
    int64_t steps = 20;      // timed steps
    int64_t warmupSteps = 3; // untimed steps first (allocator, oneDNN kernel choice)
    train::Precision precision = train::Precision::Auto;
    int threads = 0; // 0 = all cores
    std::string device = "auto";
    bool activationCheckpointing = false;
};

struct PretrainBenchResult {
    double tokensPerSecond = 0;
    double msPerStep = 0;                               // median over timed steps
    double forwardMs = 0, backwardMs = 0, updateMs = 0; // medians of the phases (clip + AdamW)
    int64_t parameters = 0;
    double gflops = 0;       // achieved: model FLOPs per step / median step time
    double flopsPerStep = 0; // 6 * matmul params * tokens + 12 * layers * T * dim * tokens
    std::string setup;       // e.g. "cpu, 2 threads, bf16 autocast"
    double peakMemoryGb = 0; // GPU: the caching allocator's peak; CPU: peak resident set
};

PretrainBenchResult benchPretrain(const PretrainBenchOptions& options);

struct GemmBenchResult {
    int64_t size = 0;      // n of the n x n x n product
    double fp32Gflops = 0; // best of several runs; 0 when not measured (bf16 only)
    double bf16Gflops = 0; // 0 when not measured (fp32 only, or auto where bf16 is not fast)
    int threads = 1;
};

// `precision`: Float32 measures fp32 only, BFloat16 bf16 only (even where it is emulated), Auto
// fp32, and bf16 where it is fast (AVX-512 BF16).
GemmBenchResult benchGemm(int64_t size, int threads, train::Precision precision);

} // namespace rlhf::tools
