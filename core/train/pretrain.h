// The pretraining stage: next-token loss on random windows of a packed token stream, with
// validation loss and perplexity, checkpoints, resume, and stop/pause between steps.
#pragma once

#include "core/train/pretrain_config.h"
#include "core/train/stage_observer.h"

#include <cstdint>
#include <filesystem>
#include <span>

namespace rlhf::dist {
class Communicator;
}

namespace rlhf::train {

struct PretrainData {
    std::span<const uint32_t> train; // must outlive the run (e.g. memory-mapped)
    std::span<const uint32_t> val;   // may be empty: no validation
};

struct PretrainResult : StageResult {
    double lastTrainLoss = 0;
    double lastValLoss = 0; // 0 when there was no validation split
};

// Runs `config` to completion or until `stop` asks. Checkpoints go to
// `checkpointRoot`/step-NNNNNN (rank 0 only). Throws rlhf::Error on bad data or checkpoints.
PretrainResult runPretrain(const PretrainConfig& config, const PretrainData& data,
                           const std::filesystem::path& checkpointRoot, StageObserver& observer,
                           const StopToken& stop, dist::Communicator& communicator);

} // namespace rlhf::train
