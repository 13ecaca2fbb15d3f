#include "core/train/trainer.h"

#include "core/dist/communicator.h"
#include "core/dist/gradient_reducer.h"
#include "core/model/torch_runtime.h"
#include "core/train/scalar_model.h"
#include "core/train/sharded_adamw.h"
#include "core/util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace rlhf::train {

namespace {

constexpr const char* optimizerFile = "optimizer.safetensors";

// "sft 30/200  loss 0.412  grad_norm 0.93  3393 tok/s  val/loss 0.45": every metric but the
// timings and the learning rate, training metrics without their "train/" prefix.
std::string summaryLine(const std::string& label, int64_t step, int64_t total,
                        const MetricValues& values)
{
    std::string line = label + " " + std::to_string(step) + "/" + std::to_string(total);
    char text[96];
    for (const auto& [name, value] : values) {
        if (name.starts_with("time/") || name.starts_with("memory/") || name == "train/lr")
            continue;
        if (name == "train/tokens_per_s")
            std::snprintf(text, sizeof(text), "  %.0f tok/s", value);
        else if (name.starts_with("train/"))
            std::snprintf(text, sizeof(text), "  %s %.4g", name.c_str() + 6, value);
        else
            std::snprintf(text, sizeof(text), "  %s %.4g", name.c_str(), value);
        line += text;
    }
    return line;
}

model::NamedTensors namedParameters(model::TransformerImpl& model)
{
    model::NamedTensors parameters;
    for (const auto& item : model.named_parameters())
        parameters.emplace_back(item.key(), item.value());
    return parameters;
}

// The step a checkpoint was saved after, from its trainer_state.json.
int64_t savedStep(const std::filesystem::path& folder)
{
    const auto state = model::loadTrainerState(folder);
    if (!state.contains("step") || !state["step"].is_number_integer())
        throw Error((folder / "trainer_state.json").string() + ": no integer \"step\"");
    return state["step"].get<int64_t>();
}

} // namespace

Trainer::Trainer(TrainerSetup setup, const RunContext& run)
    : m_setup(std::move(setup)), m_run(run),
      m_compute(resolveCompute(
          deviceForLocalRank(m_setup.options.device, run.communicator.localRank()),
          m_setup.options.precision, m_setup.options.threads, m_setup.options.deterministic))
{
    log("device " + m_compute.description() +
        (m_setup.options.activationCheckpointing ? ", activation checkpointing" : ""));
    // Fault injection for the fault tests (tests/core/test_faults.cpp): every gradient of this
    // step becomes NaN, as a diverging step would make it.
    if (const char* poison = std::getenv("RLHF_FAULT_NAN_GRAD_STEP"))
        m_poisonStep = std::strtoll(poison, nullptr, 10);
    if (!m_setup.resumeFrom.empty()) {
        m_startStep = withContext("resuming from " + m_setup.resumeFrom.string(),
                                  [&] { return savedStep(m_setup.resumeFrom); });
        log("resumed at step " + std::to_string(m_startStep));
    }
}

Trainer::~Trainer() = default;

int Trainer::rank() const
{
    return m_run.communicator.rank();
}
int Trainer::worldSize() const
{
    return m_run.communicator.worldSize();
}
double Trainer::sumOverRanks(double value) const
{
    return sumOverRanks(std::vector<double>{value}).front();
}
std::vector<double> Trainer::sumOverRanks(std::vector<double> values) const
{
    return dist::sumOverRanks(m_run.communicator, std::move(values));
}
std::vector<std::string> Trainer::gatherBytes(const std::string& bytes) const
{
    return dist::gatherBytes(m_run.communicator, bytes);
}

bool Trainer::stopOnAnyRank(bool stopHere)
{
    if (worldSize() == 1) return stopHere;
    return dist::meanOverRanks(m_run.communicator, {stopHere ? 1.0 : 0.0}).front() > 0;
}

MetricValues Trainer::meanOverRanks(MetricValues values)
{
    if (worldSize() == 1) return values;
    std::vector<double> numbers;
    for (const auto& [name, value] : values)
        numbers.push_back(value);
    numbers = dist::meanOverRanks(m_run.communicator, std::move(numbers));
    for (size_t i = 0; i < values.size(); ++i)
        values[i].second = numbers[i];
    return values;
}

Trainer::Optimized& Trainer::optimize(model::NamedTensors parameters, const std::string& stateFile)
{
    Optimized& trained = m_trained.emplace_back();
    trained.parameters = std::move(parameters);
    const bool shard = m_setup.options.shardOptimizerState;
    trained.optimizer = std::make_unique<ShardedAdamW>(
        trained.parameters, m_setup.options.optimizer, m_run.communicator,
        shard ? StateSharding::Sharded : StateSharding::Replicated);
    trained.stateFile = stateFile;
    if (shard)
        log(trained.optimizer->sharded()
                ? trained.optimizer->describe()
                : "shard_optimizer_state: one process, nothing to shard (" +
                      trained.optimizer->describe() + ")");
    std::vector<at::Tensor> weights;
    for (const auto& [name, tensor] : trained.parameters)
        weights.push_back(tensor);
    m_run.communicator.broadcastFromRankZero(weights); // every rank starts from rank 0's weights
    if (worldSize() > 1)
        trained.reducer = std::make_unique<dist::GradientReducer>(m_run.communicator, weights);
    if (!m_setup.resumeFrom.empty())
        withContext("resuming from " + m_setup.resumeFrom.string(),
                    [&] { trained.optimizer->loadState(m_setup.resumeFrom / stateFile); });
    return trained;
}

model::Transformer Trainer::trainNew(const model::ModelConfig& config, uint64_t seed)
{
    m_model = model::Transformer(config);
    m_model->initWeights(seed);
    m_model->to(device());
    m_model->setActivationCheckpointing(m_setup.options.activationCheckpointing);
    if (!m_setup.resumeFrom.empty())
        withContext("resuming from " + m_setup.resumeFrom.string(),
                    [&] { model::loadCheckpointWeights(m_setup.resumeFrom, *m_model); });
    optimize(namedParameters(*m_model), optimizerFile);
    return m_model;
}

model::Transformer Trainer::trainTransformer(const std::filesystem::path& init,
                                             const std::optional<LoraOptions>& lora)
{
    if (lora) return trainAdapter(init, *lora);
    m_modelFolder = m_setup.resumeFrom.empty() ? init : m_setup.resumeFrom;
    m_model = model::loadTransformer(m_modelFolder);
    m_model->to(device());
    m_model->setActivationCheckpointing(m_setup.options.activationCheckpointing);
    optimize(namedParameters(*m_model), optimizerFile);
    return m_model;
}

ScalarModel& Trainer::trainScalar(const std::filesystem::path& init,
                                  const std::optional<LoraOptions>& lora,
                                  std::optional<double> likelihood)
{
    if (lora) return trainScalarAdapter(init, *lora, likelihood);
    m_modelFolder = m_setup.resumeFrom.empty() ? init : m_setup.resumeFrom;
    m_scalar = std::make_unique<ScalarModel>(
        likelihood ? ScalarModel::withLikelihood(model::loadTransformer(m_modelFolder),
                                                 m_modelFolder, *likelihood)
                   : ScalarModel::fromCheckpoint(m_modelFolder));
    m_scalar->to(device());
    m_scalar->body().setActivationCheckpointing(m_setup.options.activationCheckpointing);
    optimize(m_scalar->parameters(), optimizerFile);
    return *m_scalar;
}

void Trainer::trainValue(model::NamedTensors parameters, const std::string& optimizerFileName)
{
    if (m_trained.size() != 1) throw Error("trainer: a value model needs the trained model first");
    optimize(std::move(parameters), optimizerFileName);
}

model::Transformer Trainer::frozen(const std::filesystem::path& folder) const
{
    model::Transformer model = model::loadTransformer(folder);
    model->to(device());
    for (auto& parameter : model->parameters())
        parameter.set_requires_grad(false);
    return model;
}

Trainer::Optimized& Trainer::group(Trained which)
{
    const size_t index = which == Trained::Model ? 0 : 1;
    if (index >= m_trained.size()) throw Error("trainer: that model is not trained here");
    return m_trained[index];
}

void Trainer::zeroGrad(Trained which)
{
    group(which).optimizer->zeroGrad();
}

void Trainer::reduceDuringNextBackward(Trained which)
{
    Optimized& trained = group(which);
    if (trained.reducer && m_setup.options.overlapGradientReduction) trained.reducer->arm();
}

double Trainer::update(double lr, Trained which)
{
    Optimized& trained = group(which);
    // The one place gradients meet across ranks: what the armed backward has not reduced yet
    // (a gradient this rank's batch left undefined, an unused parameter or an empty shard,
    // takes part as zeros), then the wait for all of it.
    if (trained.reducer) trained.reducer->finish();
    std::vector<at::Tensor> tensors;
    for (const auto& [name, tensor] : trained.parameters)
        if (tensor.grad().defined()) tensors.push_back(tensor);
    if (m_step == m_poisonStep)
        for (auto& tensor : tensors)
            tensor.grad().fill_(std::numeric_limits<float>::quiet_NaN());
    // Every rank holds the same averaged gradients: the global norm, sharded or not, so every
    // rank skips the same updates.
    const double norm = clipGradNorm(tensors, m_setup.options.gradClip);
    if (!std::isfinite(norm)) {
        ++m_skippedUpdates;
        trained.optimizer->zeroGrad();
        return norm;
    }
    trained.optimizer->step(lr); // sharded: the own partition, then every owner's to all ranks
    return norm;
}

std::vector<model::NamedTensors> Trainer::gatherOptimizerStates()
{
    std::vector<model::NamedTensors> states;
    for (Optimized& trained : m_trained)
        states.push_back(trained.optimizer->gatherState());
    return states;
}

void Trainer::save(const std::filesystem::path& folder, int64_t step, const StageHooks& hooks,
                   std::vector<model::NamedTensors> optimizerStates)
{
    model::CheckpointContents contents;
    contents.optimizerState = std::move(optimizerStates.front());
    for (size_t i = 1; i < m_trained.size(); ++i)
        contents.tensorFiles.emplace_back(m_trained[i].stateFile, std::move(optimizerStates[i]));
    contents.trainerState = {{"step", step}, {"config", m_setup.document}};
    if (m_adapters) { // the adapter alone, on its base
        const std::string base = std::filesystem::absolute(m_adapters->base).lexically_normal();
        contents.adapter = model::AdapterFolder{m_model->adapterConfig(m_adapters->trained),
                                                m_model->adapterTensors(m_adapters->trained), base};
    }
    contents.tokenizer = m_setup.tokenizer;
    contents.companionsFrom = m_modelFolder; // a model's own chat template goes on with it
    if (hooks.extendCheckpoint) hooks.extendCheckpoint(contents);
    if (m_scalar)
        m_scalar->save(folder, std::move(contents));
    else
        model::saveCheckpoint(folder, *m_model, contents);
}

void Trainer::checkStepIsFinite(int64_t step, const MetricValues& values,
                                const std::filesystem::path& lastCheckpoint)
{
    std::string nonFinite; // "loss nan, grad_norm inf"
    for (const auto& [name, value] : values)
        if (!std::isfinite(value) && name.starts_with("train/"))
            nonFinite += (nonFinite.empty() ? "" : ", ") + name.substr(6) + " " +
                         (std::isnan(value) ? "nan"
                          : value > 0       ? "inf"
                                            : "-inf");
    const bool lossBad = std::ranges::any_of(values, [](const auto& metric) {
        return metric.first == "train/loss" && !std::isfinite(metric.second);
    });
    if (m_skippedUpdates == 0 && !lossBad) {
        m_badStepsInARow = 0;
        return;
    }
    ++m_badStepsInARow;
    const std::string what = nonFinite.empty() ? "a gradient norm not finite" : nonFinite;
    log("step " + std::to_string(step) + ": " + what + ": " +
        (m_skippedUpdates > 0 ? std::to_string(m_skippedUpdates) +
                                    " update(s) skipped, weights and optimizer state unchanged"
                              : "no update skipped (the gradients were finite)") +
        " (" + std::to_string(m_badStepsInARow) + " such step(s) in a row)");
    if (m_badStepsInARow < maxBadSteps) return;
    throw Error("training diverged at step " + std::to_string(step) + " (" + what + ", " +
                std::to_string(maxBadSteps) + " steps in a row); last good checkpoint: " +
                (lastCheckpoint.empty() ? "none saved in this run" : lastCheckpoint.string()) +
                ". Lower training.lr or raise training.warmup_steps, then resume from it");
}

StageResult Trainer::run(const StageHooks& hooks, const std::string& label)
{
    const TrainingOptions& options = m_setup.options;
    StageResult result;
    auto saveAt = [&](int64_t step) {
        result.lastCheckpoint = m_run.checkpointRoot / stepFolderName(step);
        auto optimizerStates = gatherOptimizerStates(); // all ranks: shards meet on rank 0
        if (rank() == 0) { // rank 0 owns the checkpoints; the others wait for it
            save(result.lastCheckpoint, step, hooks, std::move(optimizerStates));
            m_run.observer.onCheckpoint(result.lastCheckpoint.string(), step);
        }
        m_run.communicator.barrier();
    };
    int64_t step = m_startStep;
    double runPeakGb = 0;
    auto clock = std::chrono::steady_clock::now();
    while (step < options.steps) {
        if (stopOnAnyRank(m_run.stop.waitWhilePausedOrStop())) {
            result.stopped = true;
            break;
        }
        const double lr = learningRate(options.schedule, step);
        model::resetPeakMemory(m_compute.gpu());
        m_step = step + 1;
        m_skippedUpdates = 0;
        StepMetrics metrics{step + 1, meanOverRanks(hooks.trainStep(step, lr))};
        ++step;
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - clock).count();
        metrics.values.emplace_back("train/lr", lr);
        if (hooks.tokensPerStep > 0)
            metrics.values.emplace_back("train/tokens_per_s",
                                        double(hooks.tokensPerStep) / seconds);
        metrics.values.emplace_back("time/step_s", seconds);
        // Peak memory: on a GPU the step's own (what the caching allocator held at most during
        // it) and the run's; on the CPU the process's peak resident set, the run's so far.
        const double peakGb = double(model::peakMemoryBytes(m_compute.gpu())) / 1e9;
        runPeakGb = std::max(runPeakGb, peakGb);
        if (m_compute.device.is_cuda()) metrics.values.emplace_back("memory/step_peak_gb", peakGb);
        metrics.values.emplace_back("memory/peak_gb", runPeakGb);
        const bool last = step == options.steps;
        const bool evaluate =
            hooks.evaluate && (last || (options.evalEvery > 0 && step % options.evalEvery == 0));
        if (evaluate)
            for (auto& value : meanOverRanks(hooks.evaluate(step)))
                metrics.values.push_back(std::move(value));
        clock = std::chrono::steady_clock::now(); // evaluation time is not step time
        m_run.observer.onMetrics(metrics);        // a bad step's NaN is recorded as it was
        checkStepIsFinite(step, metrics.values,
                          result.lastCheckpoint.empty() ? m_setup.resumeFrom
                                                        : result.lastCheckpoint);
        result.lastMetrics = metrics.values;
        if (last || evaluate || step % options.logEvery == 0)
            log(summaryLine(label, step, options.steps, metrics.values));
        m_run.observer.onProgress(step, options.steps);
        if (last || (options.checkpointEvery > 0 && step % options.checkpointEvery == 0))
            saveAt(step);
    }
    if (result.stopped && step > m_startStep &&
        result.lastCheckpoint.filename() != stepFolderName(step))
        saveAt(step); // a stopped run can always be resumed where it stopped
    result.stepsDone = step;
    if (step > m_startStep) {
        char line[96];
        std::snprintf(line, sizeof(line), "%s: peak memory %.2f GB (%s)", label.c_str(), runPeakGb,
                      m_compute.device.is_cuda() ? "GPU, allocated" : "process resident set");
        log(line);
        const auto& reducer = m_trained.front().reducer;
        if (reducer)
            log(label + ": " + std::to_string(reducer->bucketsStartedInBackward()) + " of " +
                std::to_string(reducer->bucketCount()) +
                " gradient buckets reduced during the last backward pass");
    }
    return result;
}

} // namespace rlhf::train
