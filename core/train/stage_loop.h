// The optimisation loop every fine-tuning stage (SFT, reward, DPO, PPO, GRPO) shares: stop and
// pause between steps, the learning rate of each step, metrics with log lines and progress,
// evaluations and checkpoints at their intervals, and a checkpoint where a stop ends the run so
// it can be resumed there. The stage supplies what one step, one evaluation and one save do.
#pragma once

#include "core/model/transformer.h"
#include "core/train/adamw.h"
#include "core/train/stage_observer.h"
#include "core/train/training_options.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace rlhf::train {

using MetricValues = std::vector<std::pair<std::string, double>>;

struct StageHooks {
    // One training step (0-based `step`, learning rate `lr`): forward, backward, update(s).
    std::function<MetricValues(int64_t step, double lr)> trainStep;
    // An evaluation after `step` steps; may be empty.
    std::function<MetricValues(int64_t step)> evaluate;
    // Writes the checkpoint folder `folder` for the state after `step` steps.
    std::function<void(const std::filesystem::path& folder, int64_t step)> save;
};

// Runs steps startStep .. options.steps - 1. `label` starts the log lines ("sft", "ppo").
StageResult runStageLoop(const TrainingOptions& options, int64_t startStep, const StageHooks& hooks,
                         const std::filesystem::path& checkpointRoot, const std::string& label,
                         StageObserver& observer, const StopToken& stop);

// The named parameters of `model`, in order (what AdamW and gradient clipping take).
NamedTensors namedParameters(model::TransformerImpl& model);

// After backward(): clips the gradients to options.gradClip and
// steps the optimizer at `lr`. Returns the gradient norm before clipping.
double applyGradients(AdamW& optimizer, const NamedTensors& parameters,
                      const TrainingOptions& options, double lr);

// Resume state read from a checkpoint's trainer_state.json: the step it was saved after.
int64_t savedStep(const std::filesystem::path& folder);

// Restores `optimizer` from the checkpoint `resumeFrom` and returns the step it was saved
// after (logged); 0, restoring nothing, when resumeFrom is empty.
int64_t resumeOptimizer(const std::string& resumeFrom, AdamW& optimizer, StageObserver& observer);

} // namespace rlhf::train
