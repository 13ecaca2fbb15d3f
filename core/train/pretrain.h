// The pretraining stage: next-token loss on random windows of a packed token stream, with
// validation loss and perplexity, checkpoints, resume, and stop/pause between steps.
#pragma once

#include "core/train/pretrain_config.h"
#include "core/train/stage_observer.h"

#include <cstdint>
#include <span>

namespace rlhf::train {

struct PretrainData {
    std::span<const uint32_t> train; // must outlive the run (e.g. memory-mapped)
    std::span<const uint32_t> val;   // may be empty: no validation
};

// Runs `config` to completion or until run.stop asks; each rank draws its own windows.
// Checkpoints go to run.checkpointRoot/step-NNNNNN (rank 0 only). Throws rlhf::Error on bad
// data or checkpoints.
StageResult runPretrain(const PretrainConfig& config, const PretrainData& data,
                        const RunContext& run);

} // namespace rlhf::train
