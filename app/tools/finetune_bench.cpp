#include "app/tools/finetune_bench.h"

#include "core/model/checkpoint.h"
#include "core/model/language_model_loss.h"
#include "core/model/torch_runtime.h"
#include "core/model/transformer.h"
#include "core/train/adamw.h"
#include "core/train/precision.h"
#include "core/train/trainer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

namespace rlhf::tools {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point from)
{
    return std::chrono::duration<double>(Clock::now() - from).count();
}

// RssAnon of /proc/self/status, in bytes; 0 where it cannot be read.
int64_t anonymousResidentBytes()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("RssAnon:", 0) == 0) return std::stoll(line.substr(8)) * 1024; // kB
    return 0;
}

} // namespace

FinetuneBenchResult benchFinetune(const FinetuneBenchOptions& options)
{
    const train::ComputeSetup setup = train::resolveCompute(train::parseDevice(options.device),
                                                            options.precision, options.threads);
    model::resetPeakMemory(setup.gpu());
    FinetuneBenchResult result;
    auto start = Clock::now();
    model::Transformer model = model::loadTransformer(options.checkpoint);
    model->to(setup.device);
    result.loadSeconds = seconds(start);
    result.loadPeakMemoryGb = double(model::peakMemoryBytes(setup.gpu())) / 1e9;
    result.family = model->config().familyName();
    result.parameters = model->parameterCount();
    model->setActivationCheckpointing(options.activationCheckpointing);

    train::NamedTensors parameters;
    if (options.lora) { // the trainer's LoRA set-up: frozen base, quantised on request
        for (at::Tensor& parameter : model->parameters())
            parameter.set_requires_grad(false);
        if (const auto type = train::heldAs(options.lora->base))
            model->quantizeLinears(*type, setup.device);
        const int adapter = model->addAdapter(options.lora->adapter, /*seed=*/1);
        model->setActiveAdapter(adapter);
        parameters = model->adapterTensors(adapter);
    } else {
        for (const auto& item : model->named_parameters())
            parameters.emplace_back(item.key(), item.value());
    }
    result.weightsGb = double(model->weightBytes()) / 1e9;
    std::vector<at::Tensor> parameterList;
    for (const auto& [name, tensor] : parameters) {
        parameterList.push_back(tensor);
        result.trainedParameters += tensor.numel();
    }
    train::AdamW optimizer(parameters, {});
    const int64_t T = std::min(options.length, model->config().contextLength);
    const auto tokens =
        at::randint(model->config().vocabSize, {options.batchSize, T}, at::kLong).to(setup.device);
    // SFT's loss: next-token cross-entropy on the reply (here the second half), through the
    // chunked loss that never forms the logits.
    auto weights = at::zeros({options.batchSize, T - 1}, at::kFloat);
    weights.narrow(1, T / 2, T - 1 - T / 2).fill_(1.0);
    weights = weights.reshape({-1}).to(setup.device);
    const auto targets = tokens.narrow(1, 1, T - 1).reshape({-1});

    std::vector<double> later;
    for (int64_t step = 0; step < options.steps; ++step) {
        start = Clock::now();
        optimizer.zeroGrad();
        at::Tensor loss;
        {
            auto scope = setup.autocast();
            const auto hidden = model->hiddenStates(tokens.narrow(1, 0, T - 1), nullptr, {}, {});
            loss = model::linearCrossEntropy(hidden.reshape({-1, hidden.size(-1)}),
                                             model->outputWeight(), targets, weights) /
                   weights.sum();
        }
        loss.backward();
        train::clipGradNorm(parameterList, 1.0);
        optimizer.step(1e-5);
        const double value = loss.item<double>(); // waits for the device
        if (step == 0) {
            result.firstLoss = value;
            result.firstStepSeconds = seconds(start);
        } else {
            later.push_back(seconds(start));
        }
    }
    if (!later.empty()) {
        std::sort(later.begin(), later.end());
        result.stepSeconds = later[later.size() / 2];
    }
    result.peakMemoryGb = double(model::peakMemoryBytes(setup.gpu())) / 1e9;
    result.residentAfterGb = double(anonymousResidentBytes()) / 1e9;
    result.setup =
        setup.description() + (options.activationCheckpointing ? ", activation checkpointing" : "");
    return result;
}

} // namespace rlhf::tools
