#include "core/train/training_options.h"

#include "core/train/option_ranges.h"
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

// Every number is held to its range in option_ranges.h as it is read.
JsonFields<Options> optimizerFields()
{
    JsonFields<Options> fields;
    fields.number("lr", ranges::lr, &Options::schedule, &LrSchedule::peak);
    fields.number("min_lr", ranges::minLr, &Options::schedule, &LrSchedule::minimum);
    fields.number("warmup_steps", ranges::warmupSteps, &Options::schedule,
                  &LrSchedule::warmupSteps);
    fields.number("beta1", ranges::beta, &Options::optimizer, &AdamWConfig::beta1);
    fields.number("beta2", ranges::beta, &Options::optimizer, &AdamWConfig::beta2);
    fields.number("eps", ranges::eps, &Options::optimizer, &AdamWConfig::epsilon);
    fields.number("weight_decay", ranges::weightDecay, &Options::optimizer,
                  &AdamWConfig::weightDecay);
    fields.number("grad_clip", ranges::gradClip, &Options::gradClip);
    fields.check("min_lr", "must not be above lr",
                 [](const Options& o) { return o.schedule.minimum <= o.schedule.peak; });
    return fields;
}

JsonFields<Options> trainingFields()
{
    JsonFields<Options> fields;
    // The schedule spans the run: its total follows steps.
    fields.custom(
        "steps",
        [](JsonReader& reader, Options& o) {
            reader.read("steps", o.steps, ranges::steps);
            o.schedule.totalSteps = o.steps;
        },
        [](const Options& o, nlohmann::ordered_json& json) { json["steps"] = o.steps; });
    fields.number("batch_size", ranges::batchSize, &Options::batchSize);
    fields.number("grad_accumulation", ranges::gradAccumulation, &Options::gradAccumulation);
    fields.field("seed", &Options::seed); // any 64-bit unsigned integer; JsonReader refuses more
    fields.word("precision", precisionWords, &Options::precision);
    fields.number("threads", ranges::threads, &Options::threads);
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
    fields.number("log_every", ranges::logEvery, &Options::logEvery);
    fields.number("eval_every", ranges::evalEvery, &Options::evalEvery);
    fields.number("eval_batches", ranges::evalBatches, &Options::evalBatches);
    fields.number("checkpoint_every", ranges::checkpointEvery, &Options::checkpointEvery);
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
