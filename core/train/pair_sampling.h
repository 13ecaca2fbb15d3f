// Pairs for the labeling queue made by a model: two sampled replies of one checkpoint to each
// prompt of a dataset, each pair committed to the project database as soon as it is made. The
// labeling pane's sampler thread and `rlhf labels sample` both run this. Torch-free header.
#pragma once

#include "core/gen/sampling_settings.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace rlhf::store {
class Project;
}

namespace rlhf::train {

struct PairSamplingOptions {
    std::string checkpoint;      // project-relative checkpoint folder
    std::string dataset;         // chat or preference dataset whose prompts are answered
    std::string split = "train"; // its split
    int64_t count = 20;          // new pairs to make at most
    // How both replies are sampled (beams ignored); the seed is part of each pair's origin.
    gen::SamplingSettings sampling = {.temperature = 1.0, .maxNewTokens = 64, .seed = 1};
};

// Makes up to options.count new pairs (prompts already sampled with this checkpoint, split and
// sampling seed are skipped: origin "<checkpoint>#<dataset>:<split>#<prompt index>#<seed>"),
// calling `onPair(queued so far)` after each commit, until the prompts run out or `stop` is set.
// Returns how many were queued. Throws rlhf::Error for a missing dataset or checkpoint.
int64_t samplePairs(store::Project& project, const PairSamplingOptions& options,
                    const std::function<void(int64_t)>& onPair = {},
                    const std::atomic<bool>* stop = nullptr);

} // namespace rlhf::train
