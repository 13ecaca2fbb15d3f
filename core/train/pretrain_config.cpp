#include "core/train/pretrain_config.h"

#include "core/train/option_ranges.h"
#include "core/util/json_fields.h"

namespace rlhf::train {

namespace {

JsonFields<model::ModelConfig> modelFields()
{
    using model::ModelConfig;
    JsonFields<ModelConfig> fields;
    fields.word("flavour", model::flavourWords, &ModelConfig::flavour);
    fields.number("vocab_size", ranges::vocabSize, &ModelConfig::vocabSize);
    fields.number("context_length", ranges::contextLength, &ModelConfig::contextLength);
    fields.number("layers", ranges::layers, &ModelConfig::layers);
    fields.number("heads", ranges::heads, &ModelConfig::heads);
    fields.number("kv_heads", ranges::kvHeads, &ModelConfig::kvHeads);
    fields.number("dim", ranges::dim, &ModelConfig::dim);
    fields.number("ffn_dim", ranges::ffnDim, &ModelConfig::ffnDim);
    fields.number("norm_eps", ranges::normEps, &ModelConfig::normEps);
    fields.number("rope_theta", ranges::ropeTheta, &ModelConfig::ropeTheta);
    fields.field("tie_embeddings", &ModelConfig::tieEmbeddings);
    fields.number("init_std", ranges::initStd, &ModelConfig::initStd);
    return fields;
}

// "model": its fields, then the shape's own consistency checks (ModelConfig::validate).
void readModel(JsonReader& root, model::ModelConfig& model)
{
    JsonReader reader = root.child("model");
    modelFields().read(reader, model);
    try {
        model.validate();
    } catch (const Error& error) {
        throw Error(reader.where() + ": " + error.what());
    }
}

JsonFields<PretrainConfig> pretrainFields()
{
    JsonFields<PretrainConfig> data;
    data.required("train", &PretrainConfig::trainTokens);
    data.field("val", &PretrainConfig::valTokens);

    JsonFields<PretrainConfig> fields;
    fields.custom(
        "stage",
        [](JsonReader& root, PretrainConfig&) { readStageField(root, store::RunStage::Pretrain); },
        [](const PretrainConfig&, nlohmann::ordered_json& json) {
            json["stage"] = std::string(store::runStageName(store::RunStage::Pretrain));
        });
    fields.field("name", &PretrainConfig::name);
    fields.field("tokenizer", &PretrainConfig::tokenizer);
    fields.field("resume_from", &PretrainConfig::resumeFrom);
    fields.block("data", data);
    fields.custom(
        "model", [](JsonReader& root, PretrainConfig& config) { readModel(root, config.model); },
        [](const PretrainConfig& config, nlohmann::ordered_json& json) {
            json["model"] = modelFields().write(config.model);
        });
    fields.include(trainingOptionFields());
    return fields;
}

} // namespace

PretrainConfig pretrainConfigFromJson(const nlohmann::json& json, const std::string& where)
{
    PretrainConfig config;
    JsonReader root(json, where);
    pretrainFields().read(root, config);
    return config;
}

nlohmann::json toJson(const PretrainConfig& config)
{
    return pretrainFields().write(config);
}

} // namespace rlhf::train
