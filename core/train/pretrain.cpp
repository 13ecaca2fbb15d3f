#include "core/train/pretrain.h"

#include "core/dist/communicator.h"
#include "core/model/checkpoint.h"
#include "core/model/transformer.h"
#include "core/train/adamw.h"
#include "core/train/precision.h"
#include "core/train/token_windows.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <chrono>
#include <optional>
#include <cmath>
#include <cstdio>

namespace rlhf::train {

namespace {

// "step 30/300  loss 5.5349  lr 2.00e-03  3393 tok/s  val loss 5.4456  perplexity 231.73"
std::string summaryLine(const StepMetrics& metrics, int64_t totalSteps)
{
    std::string line = "step " + std::to_string(metrics.step) + "/" + std::to_string(totalSteps);
    char text[64];
    for (const auto& [name, value] : metrics.values) {
        if (name == "train/loss")
            std::snprintf(text, sizeof(text), "  loss %.4f", value);
        else if (name == "train/lr")
            std::snprintf(text, sizeof(text), "  lr %.2e", value);
        else if (name == "train/tokens_per_s")
            std::snprintf(text, sizeof(text), "  %.0f tok/s", value);
        else if (name == "val/loss")
            std::snprintf(text, sizeof(text), "  val loss %.4f", value);
        else if (name == "val/perplexity")
            std::snprintf(text, sizeof(text), "  perplexity %.2f", value);
        else
            continue;
        line += text;
    }
    return line;
}

// Mean cross-entropy of predicting batch[:, 1:] from batch[:, :-1]; batch is (B, T + 1).
at::Tensor nextTokenLoss(model::TransformerImpl& model, const at::Tensor& batch)
{
    const int64_t T = batch.size(1) - 1;
    auto logits = model.forward(batch.narrow(1, 0, T)); // (B, T, vocab)
    return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}).to(at::kFloat),
                                  batch.narrow(1, 1, T).reshape(-1));
}

// Mean next-token loss over the fixed validation windows.
double validationLoss(model::TransformerImpl& model, const TokenWindows& windows,
                      const PretrainConfig& config, const ComputeSetup& setup)
{
    at::NoGradGuard noGrad;
    double total = 0;
    for (int64_t index = 0; index < config.evalBatches; ++index) {
        auto batch =
            windows.evalBatch(index, config.evalBatches, config.batchSize).to(setup.device);
        auto scope = setup.autocast();
        total += nextTokenLoss(model, batch).item<double>();
    }
    return total / double(config.evalBatches);
}

} // namespace

PretrainResult runPretrain(const PretrainConfig& config, const PretrainData& data,
                           const std::filesystem::path& checkpointRoot, StageObserver& observer,
                           const StopToken& stop, dist::Communicator& communicator)
{
    const ComputeSetup setup = resolveCompute(config.device, config.precision, config.threads);
    observer.onLog("device " + setup.description());

    model::Transformer model(config.model);
    model->initWeights(config.seed);
    model->to(setup.device);
    NamedTensors parameters;
    std::vector<at::Tensor> parameterList;
    for (const auto& item : model->named_parameters()) {
        parameters.emplace_back(item.key(), item.value());
        parameterList.push_back(item.value());
    }
    AdamW optimizer(parameters, config.optimizer);

    PretrainResult result;
    int64_t step = 0; // optimizer steps completed
    if (!config.resumeFrom.empty()) {
        withContext("resuming from " + config.resumeFrom, [&] {
            model::loadCheckpointWeights(config.resumeFrom, *model);
            optimizer.loadState(model::loadOptimizerState(config.resumeFrom));
            step = model::loadTrainerState(config.resumeFrom).at("step").get<int64_t>();
        });
        observer.onLog("resumed at step " + std::to_string(step));
    }

    const TokenWindows trainWindows(data.train, config.model.contextLength);
    std::optional<TokenWindows> valWindows;
    if (!data.val.empty()) valWindows.emplace(data.val, config.model.contextLength);
    const int64_t tokensPerStep = config.batchSize * config.gradAccumulation *
                                  config.model.contextLength * communicator.worldSize();
    observer.onLog(std::to_string(model->parameterCount()) + " parameters, " +
                   std::to_string(tokensPerStep) + " tokens per step");

    auto saveAt = [&](int64_t atStep) {
        if (communicator.rank() != 0) return;
        model::CheckpointContents contents;
        contents.optimizerState = optimizer.state();
        contents.trainerState = {{"step", atStep}, {"config", toJson(config)}};
        contents.tokenizer = config.tokenizer;
        result.lastCheckpoint = checkpointRoot / stepFolderName(atStep);
        model::saveCheckpoint(result.lastCheckpoint, *model, contents);
        observer.onCheckpoint(result.lastCheckpoint.string(), atStep);
    };

    auto clock = std::chrono::steady_clock::now();
    while (step < config.steps) {
        if (stop.waitWhilePausedOrStop()) {
            result.stopped = true;
            break;
        }
        // forward -> loss -> backward (accumulated) -> average across ranks -> clip -> step.
        const double learningRate = train::learningRate(config.schedule, step);
        optimizer.zeroGrad();
        double loss = 0;
        for (int64_t micro = 0; micro < config.gradAccumulation; ++micro) {
            auto batch =
                trainWindows
                    .randomBatch(config.seed, step, micro, communicator.rank(), config.batchSize)
                    .to(setup.device);
            at::Tensor microLoss;
            {
                auto scope = setup.autocast();
                microLoss = nextTokenLoss(*model, batch) / double(config.gradAccumulation);
            }
            microLoss.backward();
            loss += microLoss.item<double>();
        }
        std::vector<at::Tensor> gradients;
        for (const auto& parameter : parameterList)
            gradients.push_back(parameter.grad());
        communicator.allReduceMean(gradients); // the one place gradients meet across ranks
        const double gradNorm = clipGradNorm(parameterList, config.gradClip);
        optimizer.step(learningRate);
        ++step;

        const auto now = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(now - clock).count();
        clock = now;
        StepMetrics metrics{step,
                            {{"train/loss", loss},
                             {"train/lr", learningRate},
                             {"train/grad_norm", gradNorm},
                             {"train/tokens_per_s", double(tokensPerStep) / seconds}}};
        result.lastTrainLoss = loss;
        const bool last = step == config.steps;
        if (valWindows && (last || (config.evalEvery > 0 && step % config.evalEvery == 0))) {
            result.lastValLoss = validationLoss(*model, *valWindows, config, setup);
            metrics.values.emplace_back("val/loss", result.lastValLoss);
            metrics.values.emplace_back("val/perplexity", std::exp(result.lastValLoss));
        }
        observer.onMetrics(metrics);
        result.lastMetrics = metrics.values;
        if (last || step % config.logEvery == 0 || metrics.values.size() > 4)
            observer.onLog(summaryLine(metrics, config.steps));
        observer.onProgress(step, config.steps);
        if (last || (config.checkpointEvery > 0 && step % config.checkpointEvery == 0))
            saveAt(step);
    }
    if (result.stopped && step > 0 && result.lastCheckpoint.filename() != stepFolderName(step))
        saveAt(step); // a stopped run can always be resumed where it stopped
    result.stepsDone = step;
    return result;
}

} // namespace rlhf::train
