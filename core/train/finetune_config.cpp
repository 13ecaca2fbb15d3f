#include "core/train/finetune_config.h"

#include "core/util/json_reader.h"

namespace rlhf::train {

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

    JsonReader data = root.child("data");
    data.require("dataset", config.data.dataset);
    data.read("train", config.data.train);
    data.read("val", config.data.val);
    data.rejectUnknown();
    readChatTemplate(root.child("chat_template"), config.chatTemplate);
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
        {"data",
         {{"dataset", config.data.dataset},
          {"train", config.data.train},
          {"val", config.data.val}}},
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
