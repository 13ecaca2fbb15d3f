#include "core/train/finetune_config.h"

#include "core/util/json_reader.h"

namespace rlhf::train {

namespace {

// "data": a dataset with its splits, or (reward and dpo) this project's labels split by
// val_fraction. Exactly one of the two: a document naming both would leave the reader guessing.
void readStageDataset(JsonReader data, const std::string& stage, StageDataset& config)
{
    nlohmann::json labels, dataset; // null when absent
    data.read("labels", labels);
    data.read("dataset", dataset);
    if (labels.is_null()) {
        data.require("dataset", config.dataset);
        data.read("train", config.train);
        data.read("val", config.val);
        data.rejectUnknown(); // val_fraction without labels is unknown here
        return;
    }
    if (!dataset.is_null()) data.fail("labels", "give either dataset or labels, not both");
    if (stage != "reward" && stage != "dpo")
        data.fail("labels", "labels train only the reward and dpo stages, not " + stage);
    config.labels = eval::labelFilterFromJson(labels.dump(), data.path("labels"));
    data.read("val_fraction", config.valFraction);
    if (!(config.valFraction >= 0.0 && config.valFraction < 1.0))
        data.fail("val_fraction", "expected a share in [0, 1)");
    // Labelled pairs have no named splits: they are split by val_fraction alone.
    data.rejectUnknown();
}

nlohmann::json stageDatasetJson(const StageDataset& data)
{
    if (!data.labels) return {{"dataset", data.dataset}, {"train", data.train}, {"val", data.val}};
    return {{"labels", nlohmann::json::parse(eval::labelFilterToJson(*data.labels))},
            {"val_fraction", data.valFraction}};
}

} // namespace

void readFineTuneConfig(JsonReader& root, const std::string& stage, FineTuneConfig& config)
{
    root.require("stage", config.stage);
    if (config.stage != stage)
        root.fail("stage", "expected \"" + stage + "\", got \"" + config.stage + "\"");
    config.name = stage;
    root.read("name", config.name);
    root.require("init", config.init);
    root.read("tokenizer", config.tokenizer);
    root.read("resume_from", config.resumeFrom);
    root.read("max_length", config.maxLength);
    if (config.maxLength < 0) root.fail("max_length", "must not be negative");

    readStageDataset(root.child("data"), stage, config.data);
    chat::readChatTemplate(root.child("chat_template"), config.chatTemplate);
    readTrainingOptions(root, config);
}

FineTuneConfig fineTuneConfigFromJson(const nlohmann::json& json, const std::string& stage,
                                      const std::string& where)
{
    FineTuneConfig config;
    JsonReader root(json, where);
    readFineTuneConfig(root, stage, config);
    root.rejectUnknown();
    return config;
}

nlohmann::json fineTuneJson(const FineTuneConfig& config)
{
    nlohmann::json document = {
        {"stage", config.stage},
        {"name", config.name},
        {"init", config.init},
        {"tokenizer", config.tokenizer},
        {"resume_from", config.resumeFrom},
        {"max_length", config.maxLength},
        {"data", stageDatasetJson(config.data)},
        {"chat_template", toJson(config.chatTemplate)},
    };
    writeTrainingOptions(config, document);
    return document;
}

std::string stageOf(const nlohmann::json& document, const std::string& where)
{
    if (!document.is_object() || !document.contains("stage") || !document["stage"].is_string())
        throw Error(where + ": stage: missing required field");
    return document["stage"].get<std::string>();
}

} // namespace rlhf::train
