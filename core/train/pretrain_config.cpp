#include "core/train/pretrain_config.h"

#include "core/util/json_reader.h"

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

namespace {

void readModel(JsonReader reader, model::ModelConfig& model)
{
    std::string flavour = model::flavourName(model.flavour);
    reader.read("flavour", flavour);
    try {
        model.flavour = model::flavourFromName(flavour);
    } catch (const Error& error) {
        reader.fail("flavour", error.what());
    }
    reader.read("vocab_size", model.vocabSize);
    reader.read("context_length", model.contextLength);
    reader.read("layers", model.layers);
    reader.read("heads", model.heads);
    reader.read("kv_heads", model.kvHeads);
    reader.read("dim", model.dim);
    reader.read("ffn_dim", model.ffnDim);
    reader.read("norm_eps", model.normEps);
    reader.read("rope_theta", model.ropeTheta);
    reader.read("tie_embeddings", model.tieEmbeddings);
    reader.read("init_std", model.initStd);
    reader.rejectUnknown();
    try {
        model.validate();
    } catch (const Error& error) {
        throw Error(reader.where() + ": " + error.what());
    }
}

void requirePositive(const JsonReader& reader, const char* key, int64_t value)
{
    if (value <= 0) reader.fail(key, "must be positive, got " + std::to_string(value));
}

} // namespace

PretrainConfig pretrainConfigFromJson(const nlohmann::json& json, const std::string& where)
{
    PretrainConfig config;
    JsonReader root(json, where);
    std::string stage;
    root.require("stage", stage);
    if (stage != "pretrain") root.fail("stage", "expected \"pretrain\", got \"" + stage + "\"");
    root.read("name", config.name);
    root.read("tokenizer", config.tokenizer);
    root.read("resume_from", config.resumeFrom);

    JsonReader data = root.child("data");
    data.require("train", config.trainTokens);
    data.read("val", config.valTokens);
    data.rejectUnknown();

    readModel(root.child("model"), config.model);

    JsonReader optimizer = root.child("optimizer");
    optimizer.read("lr", config.schedule.peak);
    optimizer.read("min_lr", config.schedule.minimum);
    optimizer.read("warmup_steps", config.schedule.warmupSteps);
    optimizer.read("beta1", config.optimizer.beta1);
    optimizer.read("beta2", config.optimizer.beta2);
    optimizer.read("eps", config.optimizer.epsilon);
    optimizer.read("weight_decay", config.optimizer.weightDecay);
    optimizer.read("grad_clip", config.gradClip);
    optimizer.rejectUnknown();
    if (config.schedule.peak <= 0) optimizer.fail("lr", "must be positive");
    if (config.schedule.minimum < 0 || config.schedule.minimum > config.schedule.peak)
        optimizer.fail("min_lr", "must be between 0 and lr");
    if (config.schedule.warmupSteps < 0) optimizer.fail("warmup_steps", "must not be negative");
    if (config.optimizer.beta1 < 0 || config.optimizer.beta1 >= 1)
        optimizer.fail("beta1", "must be in [0, 1)");
    if (config.optimizer.beta2 < 0 || config.optimizer.beta2 >= 1)
        optimizer.fail("beta2", "must be in [0, 1)");
    if (config.gradClip < 0) optimizer.fail("grad_clip", "must not be negative");

    JsonReader training = root.child("training");
    std::string precision = precisionName(config.precision);
    training.read("steps", config.steps);
    training.read("batch_size", config.batchSize);
    training.read("grad_accumulation", config.gradAccumulation);
    training.read("seed", config.seed);
    training.read("precision", precision);
    training.read("threads", config.threads);
    training.read("device", config.device);
    training.read("log_every", config.logEvery);
    training.read("eval_every", config.evalEvery);
    training.read("eval_batches", config.evalBatches);
    training.read("checkpoint_every", config.checkpointEvery);
    training.rejectUnknown();
    requirePositive(training, "steps", config.steps);
    requirePositive(training, "batch_size", config.batchSize);
    requirePositive(training, "grad_accumulation", config.gradAccumulation);
    requirePositive(training, "log_every", config.logEvery);
    requirePositive(training, "eval_batches", config.evalBatches);
    if (config.evalEvery < 0) training.fail("eval_every", "must not be negative");
    if (config.checkpointEvery < 0) training.fail("checkpoint_every", "must not be negative");
    if (precision == "auto")
        config.precision = Precision::Auto;
    else if (precision == "fp32")
        config.precision = Precision::Float32;
    else if (precision == "bf16")
        config.precision = Precision::BFloat16;
    else
        training.fail("precision", "expected auto, fp32 or bf16, got \"" + precision + "\"");
    if (config.device != "auto" && config.device != "cpu" && config.device != "cuda")
        training.fail("device", "expected auto, cpu or cuda, got \"" + config.device + "\"");

    root.rejectUnknown();
    config.schedule.totalSteps = config.steps;
    return config;
}

nlohmann::json toJson(const PretrainConfig& config)
{
    const auto& model = config.model;
    return {
        {"stage", "pretrain"},
        {"name", config.name},
        {"tokenizer", config.tokenizer},
        {"resume_from", config.resumeFrom},
        {"data", {{"train", config.trainTokens}, {"val", config.valTokens}}},
        {"model",
         {{"flavour", model::flavourName(model.flavour)},
          {"vocab_size", model.vocabSize},
          {"context_length", model.contextLength},
          {"layers", model.layers},
          {"heads", model.heads},
          {"kv_heads", model.kvHeads},
          {"dim", model.dim},
          {"ffn_dim", model.ffnDim},
          {"norm_eps", model.normEps},
          {"rope_theta", model.ropeTheta},
          {"tie_embeddings", model.tieEmbeddings},
          {"init_std", model.initStd}}},
        {"optimizer",
         {{"lr", config.schedule.peak},
          {"min_lr", config.schedule.minimum},
          {"warmup_steps", config.schedule.warmupSteps},
          {"beta1", config.optimizer.beta1},
          {"beta2", config.optimizer.beta2},
          {"eps", config.optimizer.epsilon},
          {"weight_decay", config.optimizer.weightDecay},
          {"grad_clip", config.gradClip}}},
        {"training",
         {{"steps", config.steps},
          {"batch_size", config.batchSize},
          {"grad_accumulation", config.gradAccumulation},
          {"seed", config.seed},
          {"precision", precisionName(config.precision)},
          {"threads", config.threads},
          {"device", config.device},
          {"log_every", config.logEvery},
          {"eval_every", config.evalEvery},
          {"eval_batches", config.evalBatches},
          {"checkpoint_every", config.checkpointEvery}}},
    };
}

} // namespace rlhf::train
