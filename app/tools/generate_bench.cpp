#include "app/tools/generate_bench.h"

#include "core/gen/generator.h"
#include "core/gen/transformer_source.h"
#include "core/model/checkpoint.h"
#include "core/model/transformer.h"
#include "core/train/precision.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>

namespace rlhf::tools {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// CPU seconds this process has used, all threads: on a machine shared with other work it
// varies less than wall time (with one thread it is the decoding thread's own time).
double processCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

void checkOptions(const GenerateBenchOptions& options)
{
    if (options.batchSizes.empty()) throw Error("bench generate: --batch lists no batch size");
    for (const int64_t batch : options.batchSizes)
        if (batch < 1) throw Error("bench generate: --batch sizes must be at least 1");
    if (options.repeats < 1) throw Error("bench generate: --repeats must be at least 1");
    if (options.warmup < 0) throw Error("bench generate: --warmup must not be negative");
    if (options.promptTokens < 1) throw Error("bench generate: --prompt must be at least 1");
    // Two new tokens at least: the first one ends the time to first token, the rest are decode.
    if (options.newTokens < 2) throw Error("bench generate: --new must be at least 2");
    if (fs::exists(options.folder))
        throw Error("bench generate: " + options.folder.string() + " already exists");
}

// The model to decode: loaded from options.checkpoint, or a seeded random init of the shape in
// `options`. Either way saved as <folder>/checkpoint, so the Python twin reads the same weights.
model::Transformer benchModel(const GenerateBenchOptions& options, const fs::path& saveAs)
{
    model::ModelConfig config;
    if (!options.checkpoint.empty()) {
        config = model::loadCheckpointConfig(options.checkpoint);
    } else {
        config.layers = options.layers;
        config.heads = options.heads;
        config.dim = options.dim;
        config.contextLength = options.contextLength;
        config.vocabSize = options.vocab;
    }
    model::Transformer model(config);
    if (!options.checkpoint.empty())
        model::loadCheckpointWeights(options.checkpoint, *model);
    else
        model->initWeights(options.seed);
    model::saveCheckpoint(saveAs, *model, {});
    return model;
}

// `rows` prompts of `length` token ids drawn uniformly from the vocabulary with `seed`.
std::vector<std::vector<int64_t>> randomPrompts(int64_t rows, int64_t length, int64_t vocab,
                                                uint64_t seed)
{
    auto generator = at::detail::createCPUGenerator(seed);
    const at::Tensor ids = at::randint(vocab, {rows, length}, generator, at::kLong); // (rows, P)
    std::vector<std::vector<int64_t>> prompts;
    for (int64_t row = 0; row < rows; ++row)
        prompts.emplace_back(ids[row].data_ptr<int64_t>(), ids[row].data_ptr<int64_t>() + length);
    return prompts;
}

// One generate() call, timed through the token callback: the first call marks the first token,
// the last call the last one. Greedy, no end token: every row runs to newTokens.
GenerateBenchRun timeOneRun(gen::TransformerSource& source,
                            const std::vector<std::vector<int64_t>>& prompts, int64_t newTokens,
                            std::vector<gen::GeneratedSequence>& output)
{
    gen::GenerationConfig config;
    config.sampling.maxNewTokens = newTokens;
    config.sampling.temperature = 0.0f;       // greedy: the Python twin can check our tokens
    config.sampling.repetitionPenalty = 1.0f; // off, as in the twin
    Clock::time_point first, last;
    double firstCpu = 0, lastCpu = 0;
    int64_t calls = 0;
    const auto start = Clock::now();
    output = gen::generate(source, prompts, config, [&](int64_t, int64_t) {
        last = Clock::now();
        lastCpu = processCpuSeconds();
        if (calls++ == 0) first = last, firstCpu = lastCpu;
        return gen::StreamControl::Continue;
    });
    const auto batch = int64_t(prompts.size());
    if (calls != batch * newTokens)
        throw Error("bench generate: " + std::to_string(calls) + " tokens streamed, " +
                    std::to_string(batch * newTokens) + " expected");
    GenerateBenchRun run;
    run.firstTokenMs = std::chrono::duration<double, std::milli>(first - start).count();
    run.decodeSeconds = std::chrono::duration<double>(last - first).count();
    run.decodeTokensPerSecond = double(batch * (newTokens - 1)) / run.decodeSeconds;
    run.decodeCpuSeconds = lastCpu - firstCpu;
    return run;
}

GenerateBenchBatch benchBatch(gen::TransformerSource& source,
                              const std::vector<std::vector<int64_t>>& allPrompts,
                              const GenerateBenchOptions& options, int64_t batchSize)
{
    const std::vector<std::vector<int64_t>> prompts(allPrompts.begin(),
                                                    allPrompts.begin() + batchSize);
    GenerateBenchBatch result;
    result.batchSize = batchSize;
    std::vector<gen::GeneratedSequence> output;
    std::vector<double> firstToken, decode, decodeCpu;
    for (int64_t run = 0; run < options.warmup + options.repeats; ++run) {
        const GenerateBenchRun timed = timeOneRun(source, prompts, options.newTokens, output);
        if (run < options.warmup) continue;
        result.runs.push_back(timed);
        firstToken.push_back(timed.firstTokenMs);
        decode.push_back(timed.decodeSeconds);
        decodeCpu.push_back(timed.decodeCpuSeconds);
    }
    const double steps = double(batchSize * (options.newTokens - 1));
    result.firstTokenMs = median(firstToken);
    result.decodeTokensPerSecond = steps / median(decode);
    result.bestDecodeTokensPerSecond = steps / *std::min_element(decode.begin(), decode.end());
    result.decodeTokensPerCpuSecond = steps / median(decodeCpu);
    for (auto& sequence : output)
        result.tokens.push_back(std::move(sequence.tokens));
    return result;
}

} // namespace

GenerateBenchResult benchGenerate(const GenerateBenchOptions& options)
{
    checkOptions(options);
    fs::create_directories(options.folder);
    const train::ComputeSetup setup = train::resolveCompute(train::parseDevice(options.device),
                                                            options.precision, options.threads);

    GenerateBenchResult result;
    result.checkpoint = options.folder / "checkpoint";
    model::Transformer model = benchModel(options, result.checkpoint);
    const model::ModelConfig& config = model->config();
    if (options.promptTokens + options.newTokens > config.contextLength)
        throw Error("bench generate: --prompt + --new exceed the context of " +
                    std::to_string(config.contextLength));
    result.layers = config.layers, result.heads = config.heads, result.dim = config.dim;
    result.contextLength = config.contextLength, result.vocab = config.vocabSize;
    result.parameters = model->parameterCount();
    result.setup = setup.description();
    result.threads = setup.threads;
    model->to(setup.device);
    model->eval();

    const int64_t rows = *std::max_element(options.batchSizes.begin(), options.batchSizes.end());
    const auto prompts =
        randomPrompts(rows, options.promptTokens, config.vocabSize, options.seed + 1);
    result.promptsFile = options.folder / "prompts.json";
    std::ofstream(result.promptsFile) << nlohmann::json{{"prompts", prompts}}.dump() << '\n';

    gen::TransformerSource source(model, setup.bf16);
    for (const int64_t batchSize : options.batchSizes)
        result.batches.push_back(benchBatch(source, prompts, options, batchSize));
    return result;
}

} // namespace rlhf::tools
