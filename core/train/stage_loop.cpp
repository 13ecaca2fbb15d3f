#include "core/train/stage_loop.h"

#include "core/model/checkpoint.h"
#include "core/util/error.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace rlhf::train {

namespace {

// "ppo 30/200  rl/score 0.412  rl/kl 1.93 ..." — every metric but the timings.
std::string summaryLine(const std::string& label, int64_t step, int64_t total,
                        const MetricValues& values)
{
    std::string line = label + " " + std::to_string(step) + "/" + std::to_string(total);
    char text[96];
    for (const auto& [name, value] : values) {
        if (name.rfind("time/", 0) == 0 || name == "train/lr") continue;
        std::snprintf(text, sizeof(text), "  %s %.4g", name.c_str(), value);
        line += text;
    }
    return line;
}

} // namespace

StageResult runStageLoop(const TrainingOptions& options, int64_t startStep, const StageHooks& hooks,
                         const std::filesystem::path& checkpointRoot, const std::string& label,
                         StageObserver& observer, const StopToken& stop)
{
    StageResult result;
    auto saveAt = [&](int64_t step) {
        result.lastCheckpoint = checkpointRoot / stepFolderName(step);
        hooks.save(result.lastCheckpoint, step);
        observer.onCheckpoint(result.lastCheckpoint.string(), step);
    };
    int64_t step = startStep;
    auto clock = std::chrono::steady_clock::now();
    while (step < options.steps) {
        if (stop.waitWhilePausedOrStop()) {
            result.stopped = true;
            break;
        }
        const double lr = learningRate(options.schedule, step);
        StepMetrics metrics{step + 1, hooks.trainStep(step, lr)};
        ++step;
        const auto now = std::chrono::steady_clock::now();
        metrics.values.emplace_back("train/lr", lr);
        metrics.values.emplace_back("time/step_s",
                                    std::chrono::duration<double>(now - clock).count());
        const bool last = step == options.steps;
        const bool evaluate =
            hooks.evaluate && (last || (options.evalEvery > 0 && step % options.evalEvery == 0));
        if (evaluate)
            for (auto& value : hooks.evaluate(step))
                metrics.values.push_back(std::move(value));
        clock = std::chrono::steady_clock::now(); // evaluation time is not step time
        observer.onMetrics(metrics);
        result.lastMetrics = metrics.values;
        if (last || evaluate || step % options.logEvery == 0)
            observer.onLog(summaryLine(label, step, options.steps, metrics.values));
        observer.onProgress(step, options.steps);
        if (last || (options.checkpointEvery > 0 && step % options.checkpointEvery == 0))
            saveAt(step);
    }
    if (result.stopped && step > startStep &&
        result.lastCheckpoint.filename() != stepFolderName(step))
        saveAt(step); // a stopped run can always be resumed where it stopped
    result.stepsDone = step;
    return result;
}

NamedTensors namedParameters(model::TransformerImpl& model)
{
    NamedTensors parameters;
    for (const auto& item : model.named_parameters())
        parameters.emplace_back(item.key(), item.value());
    return parameters;
}

double applyGradients(AdamW& optimizer, const NamedTensors& parameters,
                      const TrainingOptions& options, double lr)
{
    std::vector<at::Tensor> tensors;
    for (const auto& [name, tensor] : parameters)
        if (tensor.grad().defined()) tensors.push_back(tensor);
    const double norm = clipGradNorm(tensors, options.gradClip);
    optimizer.step(lr);
    return norm;
}

int64_t resumeOptimizer(const std::string& resumeFrom, AdamW& optimizer, StageObserver& observer)
{
    if (resumeFrom.empty()) return 0;
    const int64_t step = withContext("resuming from " + resumeFrom, [&] {
        optimizer.loadState(model::loadOptimizerState(resumeFrom));
        return savedStep(resumeFrom);
    });
    observer.onLog("resumed at step " + std::to_string(step));
    return step;
}

int64_t savedStep(const std::filesystem::path& folder)
{
    const auto state = model::loadTrainerState(folder);
    if (!state.contains("step") || !state["step"].is_number_integer())
        throw Error((folder / "trainer_state.json").string() + ": no integer \"step\"");
    return state["step"].get<int64_t>();
}

} // namespace rlhf::train
