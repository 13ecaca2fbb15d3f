#include "app/tools/pretrain_bench.h"

#include "core/model/language_model_loss.h"
#include "core/model/torch_runtime.h"
#include "core/model/transformer.h"
#include "core/train/adamw.h"
#include "core/train/precision.h"
#include "core/util/cpu_features.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <vector>

namespace rlhf::tools {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point from)
{
    return std::chrono::duration<double>(Clock::now() - from).count();
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Model FLOPs of one training step (forward + backward), the PaLM appendix formula.
double trainingFlops(const model::ModelConfig& config, int64_t matmulParameters, int64_t tokens)
{
    const double attention = 12.0 * double(config.layers * config.contextLength * config.dim);
    return (6.0 * double(matmulParameters) + attention) * double(tokens);
}

} // namespace

PretrainBenchResult benchPretrain(const PretrainBenchOptions& options)
{
    const train::ComputeSetup setup = train::resolveCompute(train::parseDevice(options.device),
                                                            options.precision, options.threads);
    model::resetPeakMemory(setup.gpu());
    model::Transformer model(options.model);
    model->to(setup.device);
    model->setActivationCheckpointing(options.activationCheckpointing);
    train::NamedTensors parameters;
    std::vector<at::Tensor> parameterList;
    int64_t matmulParameters = 0;
    for (const auto& item : model->named_parameters()) {
        parameters.emplace_back(item.key(), item.value());
        parameterList.push_back(item.value());
        // Every matrix is a matmul operand except position embeddings; the token embedding
        // counts once, as the (tied) output projection.
        if (item.value().dim() == 2 && item.key().find("wpe") == std::string::npos &&
            (options.model.tieEmbeddings || item.key().find("embed_tokens") == std::string::npos))
            matmulParameters += item.value().numel();
    }
    train::AdamW optimizer(parameters, {});
    const int64_t T = options.model.contextLength;
    auto windows = at::randint(options.model.vocabSize, {options.batchSize, T + 1}, at::kLong)
                       .to(setup.device);

    // Where the time goes, per phase; on a GPU the phases overlap (kernels run ahead of the
    // CPU), so only the total is exact there.
    std::vector<double> times, forwardTimes, backwardTimes, updateTimes;
    for (int64_t step = 0; step < options.warmupSteps + options.steps; ++step) {
        const auto start = Clock::now();
        optimizer.zeroGrad();
        at::Tensor loss;
        {
            auto scope = setup.autocast();
            loss = model::nextTokenLoss(*model, windows); // pretraining's loss
        }
        const auto forwardDone = Clock::now();
        loss.backward();
        const auto backwardDone = Clock::now();
        train::clipGradNorm(parameterList, 1.0);
        optimizer.step(1e-4);
        loss.item<double>(); // waits for the device
        if (step >= options.warmupSteps) {
            times.push_back(seconds(start));
            forwardTimes.push_back(std::chrono::duration<double>(forwardDone - start).count());
            backwardTimes.push_back(
                std::chrono::duration<double>(backwardDone - forwardDone).count());
            updateTimes.push_back(seconds(backwardDone));
        }
    }
    PretrainBenchResult result;
    const double stepSeconds = median(times);
    const int64_t tokens = options.batchSize * T;
    result.msPerStep = stepSeconds * 1e3;
    result.forwardMs = median(forwardTimes) * 1e3;
    result.backwardMs = median(backwardTimes) * 1e3;
    result.updateMs = median(updateTimes) * 1e3;
    result.tokensPerSecond = double(tokens) / stepSeconds;
    result.parameters = model->parameterCount();
    result.flopsPerStep = trainingFlops(options.model, matmulParameters, tokens);
    result.gflops = result.flopsPerStep / stepSeconds / 1e9;
    result.setup =
        setup.description() + (options.activationCheckpointing ? ", activation checkpointing" : "");
    result.peakMemoryGb = double(model::peakMemoryBytes(setup.gpu())) / 1e9;
    return result;
}

GemmBenchResult benchGemm(int64_t size, int threads, train::Precision precision)
{
    GemmBenchResult result;
    result.size = size;
    result.threads = model::setComputeThreads(threads);
    auto best = [&](at::ScalarType dtype) {
        auto a = at::randn({size, size}).to(dtype), b = at::randn({size, size}).to(dtype);
        double fastest = 1e30;
        for (int repeat = 0; repeat < 8; ++repeat) {
            const auto start = Clock::now();
            auto c = at::mm(a, b);
            fastest = std::min(fastest, seconds(start));
        }
        return 2.0 * double(size * size * size) / fastest / 1e9;
    };
    if (precision != train::Precision::BFloat16) result.fp32Gflops = best(at::kFloat);
    if (precision == train::Precision::BFloat16 ||
        (precision == train::Precision::Auto && cpuHasAvx512Bf16()))
        result.bf16Gflops = best(at::kBFloat16);
    return result;
}

} // namespace rlhf::tools
