// The one object every stage trains through. It decides where and in what precision the stage
// computes, loads the models (the trained one from the resumed checkpoint or from its init,
// frozen ones for reference), owns their optimizers, averages gradients across ranks before
// every update, writes checkpoints (rank 0) and restores them, and runs the step loop: stop and
// pause between steps, each step's learning rate, metrics, log lines, progress, evaluations and
// checkpoints at their intervals. A stage file keeps only what is its own: data, loss, metrics.
//
//     Trainer trainer({config, config.resumeFrom, config.tokenizer, toJson(config)}, run);
//     model::TransformerImpl& model = *trainer.trainTransformer(config.init);
//     StageHooks hooks;
//     hooks.trainStep = [&](int64_t step, double lr) -> MetricValues {
//         trainer.zeroGrad();
//         ...forward, loss, backward...
//         return {{"train/loss", loss}, {"train/grad_norm", trainer.update(lr)}};
//     };
//     return trainer.run(hooks, "sft");
#pragma once

#include "core/model/checkpoint.h"
#include "core/model/transformer.h"
#include "core/train/lora_options.h"
#include "core/train/precision.h"
#include "core/train/stage_observer.h"
#include "core/train/training_options.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rlhf::dist {
class GradientReducer;
}

namespace rlhf::train {

class ScalarModel;
class ShardedAdamW;

using MetricValues = std::vector<std::pair<std::string, double>>;

// What a stage supplies to the loop.
struct StageHooks {
    // One training step (0-based `step`, learning rate `lr`): forward, backward, update(s).
    std::function<MetricValues(int64_t step, double lr)> trainStep;
    // An evaluation after `step` steps; may be empty.
    std::function<MetricValues(int64_t step)> evaluate;
    // Adds the stage's own files and trainer_state fields to a checkpoint (PPO: its value
    // model and KL coefficient); may be empty.
    std::function<void(model::CheckpointContents& contents)> extendCheckpoint;
    // Tokens one step trains on, over all ranks; > 0 adds train/tokens_per_s to the metrics.
    int64_t tokensPerStep = 0;
};

// What a stage's run is, beside its options.
struct TrainerSetup {
    const TrainingOptions& options;
    std::filesystem::path resumeFrom; // checkpoint of this stage to continue from; empty: fresh
    std::filesystem::path tokenizer;  // tokenizer.json copied into every checkpoint; may be empty
    nlohmann::json document;          // the stage document, kept in every trainer_state.json
};

// Which trained model an update is for: the stage's model, or PPO's value model.
enum class Trained { Model, Value };

// How a LoRA stage's frozen linear layers are held; empty: as they are (fp32).
std::optional<model::QuantType> heldAs(BaseStorage base);

class Trainer {
public:
    // Resolves the device and precision (logged) and reads the step a resume starts at.
    Trainer(TrainerSetup setup, const RunContext& run);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    // --- Where it computes.
    const ComputeSetup& compute() const { return m_compute; }
    c10::Device device() const { return m_compute.device; }
    // bf16 autocast where the precision asks for it; hold it around forward passes.
    AutocastScope autocast() const { return m_compute.autocast(); }
    int rank() const;
    int worldSize() const;
    // Sums `value` over all ranks (e.g. a global batch's trained-token count).
    double sumOverRanks(double value) const;
    // Each value summed over all ranks (e.g. the moments advantage whitening needs).
    std::vector<double> sumOverRanks(std::vector<double> values) const;
    // Every rank's `bytes`, in rank order (rank 0 collects the others' rollouts).
    std::vector<std::string> gatherBytes(const std::string& bytes) const;
    void log(const std::string& line) const { m_run.observer.onLog(line); }

    // --- The models. Each trained one is put on the device and gets an AdamW optimizer (its
    // state sharded over the ranks with training.shard_optimizer_state), whose state is restored
    // when resuming; the references stay valid as long as the trainer.
    // A new model of `config`, weights drawn with `seed`, or those of the resumed checkpoint.
    model::Transformer trainNew(const model::ModelConfig& config, uint64_t seed);
    // The model of the resumed checkpoint, else of `init`. With `lora` the model is frozen (its
    // base: init, or the base an adapter checkpoint names) and an adapter trains on it: a fresh
    // one, init's adapter continued, or the resumed one; checkpoints hold the adapter alone.
    model::Transformer trainTransformer(const std::filesystem::path& init,
                                        const std::optional<LoraOptions>& lora = std::nullopt);
    // `likelihood`: the scalar model scores with its likelihood term, starting at that weight
    // unless the checkpoint has its own (scalar_model.h).
    ScalarModel& trainScalar(const std::filesystem::path& init,
                             const std::optional<LoraOptions>& lora = std::nullopt,
                             std::optional<double> likelihood = std::nullopt);
    // A second trained model with its own optimizer, saved in `optimizerFile` (PPO's value
    // model; the stage saves its weights through StageHooks::extendCheckpoint).
    void trainValue(model::NamedTensors parameters, const std::string& optimizerFile);
    // PPO's value model beside a policy adapter: another adapter on the same frozen base and a
    // scalar head, started from `source` when it is that base (a fresh adapter, computing what
    // the base does) or an adapter checkpoint on it (its adapter and head: the reward model's, or
    // init's). Empty when no adapter trains or `source` is another model: the value model is
    // then a whole copy of its own. Train its parameters() with trainValue().
    std::optional<ScalarModel> valueAdapter(const std::filesystem::path& source);
    // A frozen model on the device: no gradients (DPO's and the RL stages' reference).
    model::Transformer frozen(const std::filesystem::path& folder) const;
    // The frozen reference of a stage that started from `init`: frozen(init), or, when an adapter
    // trains, the trained model itself, which withReference() switches to init's model (the
    // base, or the base with init's adapter as it was): no second copy of the base in memory.
    model::Transformer reference(const std::filesystem::path& init) const;
    // Runs `compute` with the reference's weights active (see reference()), in evaluation mode.
    void withReference(const std::function<void()>& compute);

    // --- One update. Zeroes the gradients of a trained model before its backward passes.
    void zeroGrad(Trained which = Trained::Model);
    // Call before the last backward pass of an update: over several ranks its gradients are
    // averaged in buckets while it runs (training.overlap_gradient_reduction), and update()
    // only waits for the rest. Without it update() averages them all after backward.
    void reduceDuringNextBackward(Trained which = Trained::Model);
    // After backward(): averages the gradients across ranks, clips them to training.grad_clip
    // and steps the optimizer at `lr`. Returns the gradient norm before clipping. A NaN or
    // infinite norm skips the optimizer step (weights and optimizer state stay as they were)
    // and makes the step a bad one: run() logs it, and stops the run after maxBadSteps of them
    // in a row.
    double update(double lr, Trained which = Trained::Model);

    // --- The loop: steps startStep() .. options.steps - 1; `label` starts the log lines.
    // A step is bad when an update was skipped (above) or its train/loss is not finite; after
    // this many in a row the run ends with "training diverged at step N".
    static constexpr int maxBadSteps = 5;
    int64_t startStep() const { return m_startStep; }
    StageResult run(const StageHooks& hooks, const std::string& label);

private:
    struct Optimized {
        model::NamedTensors parameters;
        std::unique_ptr<ShardedAdamW> optimizer;
        std::unique_ptr<dist::GradientReducer> reducer; // several ranks only
        std::string stateFile;                          // in the checkpoint folder
    };
    Optimized& optimize(model::NamedTensors parameters, const std::string& stateFile);
    Optimized& group(Trained which);
    // Collective: every rank calls it before rank 0 saves. Each trained model's whole optimizer
    // state on rank 0 (a sharded one gathered from the ranks), empty lists elsewhere.
    std::vector<model::NamedTensors> gatherOptimizerStates();
    // Rank 0: the checkpoint after `step`, with the states of gatherOptimizerStates().
    void save(const std::filesystem::path& folder, int64_t step, const StageHooks& hooks,
              std::vector<model::NamedTensors> optimizerStates);
    // Whether any rank was asked to stop: all ranks stop after the same step.
    bool stopOnAnyRank(bool stopHere);
    // Each metric's mean over the ranks: what rank 0 logs is the job's, not its own shard's.
    MetricValues meanOverRanks(MetricValues values);
    // After a step: counts it when bad (see update()), logs it, and throws once maxBadSteps
    // came in a row. `lastCheckpoint` is named in that error.
    void checkStepIsFinite(int64_t step, const MetricValues& values,
                           const std::filesystem::path& lastCheckpoint);

    TrainerSetup m_setup;
    RunContext m_run;
    ComputeSetup m_compute;
    int64_t m_startStep = 0;
    int64_t m_step = 0;       // the step being trained, from 1
    int m_skippedUpdates = 0; // in this step: updates whose gradient norm was not finite
    int m_badStepsInARow = 0;
    int64_t m_poisonStep = 0;         // RLHF_FAULT_NAN_GRAD_STEP: the fault tests' NaN gradient
    std::vector<Optimized> m_trained; // [0]: the model, [1]: the value model (PPO)
    model::Transformer m_model{nullptr};
    std::unique_ptr<ScalarModel> m_scalar;
    std::filesystem::path m_modelFolder; // what the trained model was loaded from; empty: new
    // LoRA: the adapter that trains, the one the reference uses (-1: the base alone), the base.
    struct Adapters {
        int trained = -1;
        int reference = -1;
        std::filesystem::path base;
    };
    std::optional<Adapters> m_adapters;
    model::Transformer trainAdapter(const std::filesystem::path& init, const LoraOptions& lora);
    ScalarModel& trainScalarAdapter(const std::filesystem::path& init, const LoraOptions& lora,
                                    std::optional<double> likelihood);
    // The frozen base on the device with the adapter that trains (active) and the reference's:
    // sets m_adapters, m_model and m_modelFolder; returns the adapter's tensors.
    model::NamedTensors loadAdapters(const std::filesystem::path& init, const LoraOptions& lora);
};

} // namespace rlhf::train
