// KV-cached decoding of a fixed shape, timed: what `rlhf bench generate` prints. Builds a
// seeded random-init model (the "small" preset by default) or loads a checkpoint, saves it with
// the prompts so a Python twin can decode the same weights, then runs gen::generate() greedily
// at each batch size: time to first token (prefill + first token) and decode tokens/s after it.
// It measures; it does not judge: speed goals live with whoever reads the JSON.
#pragma once

#include "core/train/training_options.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace rlhf::tools {

struct GenerateBenchOptions {
    std::filesystem::path folder;     // scratch folder for checkpoint + prompts; must not exist
    std::filesystem::path checkpoint; // a GPT-2 checkpoint to load; empty: random init below
    int64_t layers = 4;               // the "small" preset (widgets/stagewizard/modelpresets.cpp)
    int64_t heads = 4;
    int64_t dim = 256;
    int64_t contextLength = 256;
    int64_t vocab = 4096;
    uint64_t seed = 1; // weights and prompt tokens
    std::vector<int64_t> batchSizes = {1, 8};
    int64_t promptTokens = 32; // every prompt is exactly this long: no padding
    int64_t newTokens = 128;   // generated per row; greedy with no end token, so always reached
    int64_t repeats = 3;       // timed runs per batch size
    int64_t warmup = 1;        // untimed runs first (allocator, kernel choice)
    // fp32: the same arithmetic as the Python twin
    train::Precision precision = train::Precision::Float32;
    int threads = 0; // 0 = all cores
    std::string device = "auto";
};

struct GenerateBenchRun {
    double firstTokenMs = 0;          // generate() call to the first token: prefill + one draw
    double decodeSeconds = 0;         // first token to last: newTokens - 1 steps
    double decodeTokensPerSecond = 0; // batch * (newTokens - 1) / decodeSeconds
    double decodeCpuSeconds = 0;      // process CPU time of the same span: less disturbed by others
};

struct GenerateBenchBatch {
    int64_t batchSize = 0;
    std::vector<GenerateBenchRun> runs;   // the timed ones
    double firstTokenMs = 0;              // median over runs
    double decodeTokensPerSecond = 0;     // from the median decode time
    double bestDecodeTokensPerSecond = 0; // fastest run: the least disturbed on a shared machine
    double decodeTokensPerCpuSecond = 0;  // from the median decode CPU time
    std::vector<std::vector<int64_t>> tokens; // new tokens of each row, last run
};

struct GenerateBenchResult {
    std::vector<GenerateBenchBatch> batches; // in options.batchSizes order
    int64_t layers = 0, heads = 0, dim = 0, contextLength = 0, vocab = 0; // the model's
    int64_t parameters = 0;
    std::string setup;                 // e.g. "cpu, 2 threads, fp32"
    int threads = 0;                   // CPU threads in force
    std::filesystem::path checkpoint;  // the decoded weights, for the Python twin
    std::filesystem::path promptsFile; // prompts.json: {"prompts": [[ids]]}, largest batch rows
};

GenerateBenchResult benchGenerate(const GenerateBenchOptions& options);

} // namespace rlhf::tools
