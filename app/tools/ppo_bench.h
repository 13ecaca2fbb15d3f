// One PPO iteration of a fixed shape, timed: what `rlhf bench ppo` prints. Builds a scratch
// project (a BPE tokenizer trained on generated words, a random-init GPT-2 used as policy,
// reference, reward model and value init, a prompt dataset of fixed token length) and runs the
// real PPO stage through runStage, reading its time/generation_s and time/optimisation_s.
// It measures; it does not judge: speed goals live with whoever reads the JSON.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace rlhf::tools {

struct PpoBenchOptions {
    std::filesystem::path folder; // scratch project folder; must not exist yet
    int64_t layers = 4;
    int64_t heads = 4;
    int64_t dim = 256;
    int64_t contextLength = 128;
    int64_t tokenizerVocab = 1024; // BPE target; the model's vocab is this rounded up to 64
    int64_t promptCount = 64;      // prompts in the dataset
    int64_t promptTokens = 32;     // tokens of every encoded prompt (template included)
    int64_t batchSize = 16;        // prompts per iteration
    int64_t maxNewTokens = 64;
    int64_t epochs = 4;
    int64_t minibatchSize = 8;
    int64_t iterations = 3;         // timed iterations
    int64_t warmup = 1;             // untimed iterations first (allocator, kernel choice)
    std::string precision = "fp32"; // auto, fp32 or bf16 (fp32: the same arithmetic as Python)
    int threads = 0;                // 0 = all cores
    std::string device = "auto";
};

struct PpoBenchIteration {
    double generationSeconds = 0;
    double optimisationSeconds = 0;
    double responseLength = 0; // mean generated tokens per reply
};

struct PpoBenchResult {
    std::vector<PpoBenchIteration> iterations; // the timed ones
    double generationSeconds = 0;              // median over timed iterations
    double optimisationSeconds = 0;            // median
    double totalSeconds = 0;                   // median of generation + optimisation
    double bestTotalSeconds = 0; // fastest iteration: the least disturbed on a shared machine
    double generationTokensPerSecond = 0; // batch * mean reply length / median generation time
    double responseLength = 0;            // mean over timed iterations
    int64_t modelVocab = 0;
    int64_t parameters = 0;
    std::string setup;                 // e.g. "cpu, 2 threads, fp32"
    std::filesystem::path checkpoint;  // the init checkpoint, for the Python twin
    std::filesystem::path promptsFile; // prompts.json: {"prompts": [[ids]], "end_token": id}
};

PpoBenchResult benchPpo(const PpoBenchOptions& options);

} // namespace rlhf::tools
