#include "core/train/pretrain_config.h"

#include "core/util/json_reader.h"

namespace rlhf::train {

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

    readTrainingOptions(root, config);
    root.rejectUnknown();
    config.schedule.totalSteps = config.steps;
    return config;
}

nlohmann::json toJson(const PretrainConfig& config)
{
    const auto& model = config.model;
    nlohmann::json document = {
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
    };
    writeTrainingOptions(config, document);
    return document;
}

} // namespace rlhf::train
