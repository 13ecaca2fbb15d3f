// A pretraining run small enough for a unit test (a 2-layer Llama with grouped-query attention,
// 6 steps of 4 x 2 sequences of 16 tokens, checkpoints and evaluations every 3 steps, fp32) and
// the patterned token stream it learns from. test_resume runs it on the CPU, test_gpu on a GPU.
#pragma once

#include "core/train/pretrain_config.h"

#include <cstdint>
#include <vector>

namespace rlhf::testing {

inline train::PretrainConfig tinyPretrainRun()
{
    train::PretrainConfig config;
    config.model.flavour = model::Flavour::Llama;
    config.model.vocabSize = 50;
    config.model.contextLength = 16;
    config.model.layers = 2;
    config.model.heads = 4;
    config.model.kvHeads = 2;
    config.model.dim = 32;
    config.steps = 6;
    config.batchSize = 4;
    config.gradAccumulation = 2;
    config.schedule = {.peak = 5e-3, .minimum = 5e-4, .warmupSteps = 2, .totalSteps = 6};
    config.checkpointEvery = 3;
    config.evalEvery = 3;
    config.evalBatches = 2;
    config.precision = train::Precision::Float32;
    return config;
}

// `count` tokens below 50 in a pattern a small model learns within a few steps.
inline std::vector<uint32_t> patternedTokens(size_t count)
{
    std::vector<uint32_t> tokens(count);
    for (size_t i = 0; i < count; ++i)
        tokens[i] = uint32_t((i * 7 + i / 5) % 50);
    return tokens;
}

} // namespace rlhf::testing
