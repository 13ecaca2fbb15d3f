#include "core/train/training_options.h"

#include "core/util/json_reader.h"

#include <cstdio>

namespace rlhf::train {

std::string precisionName(Precision precision)
{
    switch (precision) {
    case Precision::Auto:
        return "auto";
    case Precision::Float32:
        return "fp32";
    case Precision::BFloat16:
        return "bf16";
    }
    return "auto";
}

std::string stepFolderName(int64_t step)
{
    char name[32];
    std::snprintf(name, sizeof(name), "step-%06lld", static_cast<long long>(step));
    return name;
}

namespace {

void requirePositive(const JsonReader& reader, const char* key, int64_t value)
{
    if (value <= 0) reader.fail(key, "must be positive, got " + std::to_string(value));
}

void readOptimizer(JsonReader optimizer, TrainingOptions& options)
{
    optimizer.read("lr", options.schedule.peak);
    optimizer.read("min_lr", options.schedule.minimum);
    optimizer.read("warmup_steps", options.schedule.warmupSteps);
    optimizer.read("beta1", options.optimizer.beta1);
    optimizer.read("beta2", options.optimizer.beta2);
    optimizer.read("eps", options.optimizer.epsilon);
    optimizer.read("weight_decay", options.optimizer.weightDecay);
    optimizer.read("grad_clip", options.gradClip);
    optimizer.rejectUnknown();
    if (options.schedule.peak <= 0) optimizer.fail("lr", "must be positive");
    if (options.schedule.minimum < 0 || options.schedule.minimum > options.schedule.peak)
        optimizer.fail("min_lr", "must be between 0 and lr");
    if (options.schedule.warmupSteps < 0) optimizer.fail("warmup_steps", "must not be negative");
    if (options.optimizer.beta1 < 0 || options.optimizer.beta1 >= 1)
        optimizer.fail("beta1", "must be in [0, 1)");
    if (options.optimizer.beta2 < 0 || options.optimizer.beta2 >= 1)
        optimizer.fail("beta2", "must be in [0, 1)");
    if (options.gradClip < 0) optimizer.fail("grad_clip", "must not be negative");
}

void readTraining(JsonReader training, TrainingOptions& options)
{
    std::string precision = precisionName(options.precision);
    training.read("steps", options.steps);
    training.read("batch_size", options.batchSize);
    training.read("grad_accumulation", options.gradAccumulation);
    training.read("seed", options.seed);
    training.read("precision", precision);
    training.read("threads", options.threads);
    training.read("device", options.device);
    training.read("log_every", options.logEvery);
    training.read("eval_every", options.evalEvery);
    training.read("eval_batches", options.evalBatches);
    training.read("checkpoint_every", options.checkpointEvery);
    training.rejectUnknown();
    requirePositive(training, "steps", options.steps);
    requirePositive(training, "batch_size", options.batchSize);
    requirePositive(training, "grad_accumulation", options.gradAccumulation);
    requirePositive(training, "log_every", options.logEvery);
    requirePositive(training, "eval_batches", options.evalBatches);
    if (options.evalEvery < 0) training.fail("eval_every", "must not be negative");
    if (options.checkpointEvery < 0) training.fail("checkpoint_every", "must not be negative");
    if (precision == "auto")
        options.precision = Precision::Auto;
    else if (precision == "fp32")
        options.precision = Precision::Float32;
    else if (precision == "bf16")
        options.precision = Precision::BFloat16;
    else
        training.fail("precision", "expected auto, fp32 or bf16, got \"" + precision + "\"");
    if (options.device != "auto" && options.device != "cpu" && options.device != "cuda")
        training.fail("device", "expected auto, cpu or cuda, got \"" + options.device + "\"");
}

} // namespace

void readTrainingOptions(JsonReader& root, TrainingOptions& options)
{
    readOptimizer(root.child("optimizer"), options);
    readTraining(root.child("training"), options);
    options.schedule.totalSteps = options.steps;
}

void writeTrainingOptions(const TrainingOptions& options, nlohmann::json& document)
{
    document["optimizer"] = {
        {"lr", options.schedule.peak},
        {"min_lr", options.schedule.minimum},
        {"warmup_steps", options.schedule.warmupSteps},
        {"beta1", options.optimizer.beta1},
        {"beta2", options.optimizer.beta2},
        {"eps", options.optimizer.epsilon},
        {"weight_decay", options.optimizer.weightDecay},
        {"grad_clip", options.gradClip},
    };
    document["training"] = {
        {"steps", options.steps},
        {"batch_size", options.batchSize},
        {"grad_accumulation", options.gradAccumulation},
        {"seed", options.seed},
        {"precision", precisionName(options.precision)},
        {"threads", options.threads},
        {"device", options.device},
        {"log_every", options.logEvery},
        {"eval_every", options.evalEvery},
        {"eval_batches", options.evalBatches},
        {"checkpoint_every", options.checkpointEvery},
    };
}

} // namespace rlhf::train
