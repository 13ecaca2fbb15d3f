#include "core/train/training_options.h"

#include "core/util/json_fields.h"

#include <charconv>
#include <cstdio>

namespace rlhf::train {

std::string precisionName(Precision precision)
{
    return std::string(wordOf(precisionWords, precision));
}

std::optional<DeviceChoice> findDevice(std::string_view text)
{
    if (const auto kind = findWord(deviceWords, text)) return DeviceChoice{*kind, 0};
    int gpu = 0;
    if (text.starts_with("cuda:") && text.size() > 5 && text.size() < 9) {
        const char* end = text.data() + text.size();
        const auto parsed = std::from_chars(text.data() + 5, end, gpu);
        if (parsed.ec == std::errc() && parsed.ptr == end && gpu >= 0)
            return DeviceChoice{Device::Cuda, gpu};
    }
    return std::nullopt;
}

DeviceChoice parseDevice(std::string_view text)
{
    if (const auto device = findDevice(text)) return *device;
    throw Error("unknown device '" + std::string(text) + "': expected " + deviceWordList);
}

std::string deviceName(const DeviceChoice& device)
{
    if (device.kind == Device::Cuda && device.gpu != 0) return "cuda:" + std::to_string(device.gpu);
    return std::string(wordOf(deviceWords, device.kind));
}

std::string stepFolderName(int64_t step)
{
    char name[32];
    std::snprintf(name, sizeof(name), "step-%06lld", static_cast<long long>(step));
    return name;
}

namespace {

using Options = TrainingOptions;

// "must be positive, got 0" for the integer field at `member`.
JsonFields<Options>::Check positive(int64_t Options::*member)
{
    return [member](const Options& options) {
        const int64_t value = options.*member;
        return value > 0 ? std::string() : "must be positive, got " + std::to_string(value);
    };
}

JsonFields<Options> optimizerFields()
{
    JsonFields<Options> fields;
    fields.field("lr", &Options::schedule, &LrSchedule::peak);
    fields.field("min_lr", &Options::schedule, &LrSchedule::minimum);
    fields.field("warmup_steps", &Options::schedule, &LrSchedule::warmupSteps);
    fields.field("beta1", &Options::optimizer, &AdamWConfig::beta1);
    fields.field("beta2", &Options::optimizer, &AdamWConfig::beta2);
    fields.field("eps", &Options::optimizer, &AdamWConfig::epsilon);
    fields.field("weight_decay", &Options::optimizer, &AdamWConfig::weightDecay);
    fields.field("grad_clip", &Options::gradClip);
    fields.check("lr", "must be positive", [](const Options& o) { return o.schedule.peak > 0; });
    fields.check("min_lr", "must be between 0 and lr", [](const Options& o) {
        return o.schedule.minimum >= 0 && o.schedule.minimum <= o.schedule.peak;
    });
    fields.check("warmup_steps", "must not be negative",
                 [](const Options& o) { return o.schedule.warmupSteps >= 0; });
    fields.check("beta1", "must be in [0, 1)",
                 [](const Options& o) { return o.optimizer.beta1 >= 0 && o.optimizer.beta1 < 1; });
    fields.check("beta2", "must be in [0, 1)",
                 [](const Options& o) { return o.optimizer.beta2 >= 0 && o.optimizer.beta2 < 1; });
    fields.check("grad_clip", "must not be negative",
                 [](const Options& o) { return o.gradClip >= 0; });
    return fields;
}

JsonFields<Options> trainingFields()
{
    JsonFields<Options> fields;
    // The schedule spans the run: its total follows steps.
    fields.custom(
        "steps",
        [](JsonReader& reader, Options& o) {
            reader.read("steps", o.steps);
            o.schedule.totalSteps = o.steps;
        },
        [](const Options& o, nlohmann::ordered_json& json) { json["steps"] = o.steps; });
    fields.field("batch_size", &Options::batchSize);
    fields.field("grad_accumulation", &Options::gradAccumulation);
    fields.field("seed", &Options::seed);
    fields.word("precision", precisionWords, &Options::precision);
    fields.field("threads", &Options::threads);
    fields.custom(
        "device",
        [](JsonReader& reader, Options& o) {
            std::string text = deviceName(o.device);
            reader.read("device", text);
            const auto device = findDevice(text);
            if (!device)
                reader.fail("device", std::string("expected ") + deviceWordList + ", got " +
                                          nlohmann::json(text).dump());
            o.device = *device;
        },
        [](const Options& o, nlohmann::ordered_json& json) {
            json["device"] = deviceName(o.device);
        });
    fields.field("activation_checkpointing", &Options::activationCheckpointing);
    fields.field("deterministic", &Options::deterministic);
    fields.field("shard_optimizer_state", &Options::shardOptimizerState);
    fields.field("overlap_gradient_reduction", &Options::overlapGradientReduction);
    fields.field("log_every", &Options::logEvery);
    fields.field("eval_every", &Options::evalEvery);
    fields.field("eval_batches", &Options::evalBatches);
    fields.field("checkpoint_every", &Options::checkpointEvery);
    fields.check("steps", positive(&Options::steps));
    fields.check("batch_size", positive(&Options::batchSize));
    fields.check("grad_accumulation", positive(&Options::gradAccumulation));
    fields.check("log_every", positive(&Options::logEvery));
    fields.check("eval_batches", positive(&Options::evalBatches));
    fields.check("eval_every", "must not be negative",
                 [](const Options& o) { return o.evalEvery >= 0; });
    fields.check("checkpoint_every", "must not be negative",
                 [](const Options& o) { return o.checkpointEvery >= 0; });
    return fields;
}

JsonFields<Options> makeTrainingOptionFields()
{
    JsonFields<Options> fields;
    fields.block("optimizer", optimizerFields());
    fields.block("training", trainingFields());
    return fields;
}

} // namespace

const JsonFields<TrainingOptions>& trainingOptionFields()
{
    static const JsonFields<TrainingOptions> fields = makeTrainingOptionFields();
    return fields;
}

void readStageField(JsonReader& root, store::RunStage expected)
{
    std::string stage;
    root.require("stage", stage);
    if (store::findRunStage(stage) != expected)
        root.fail("stage", "expected \"" + std::string(store::runStageName(expected)) +
                               "\", got \"" + stage + "\"");
}

} // namespace rlhf::train
