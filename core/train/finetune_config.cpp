#include "core/train/finetune_config.h"

#include "core/train/option_ranges.h"
#include "core/util/json_fields.h"

namespace rlhf::train {

namespace {

using store::RunStage;

JsonFields<chat::ChatTemplate> chatTemplateFields()
{
    JsonFields<chat::ChatTemplate> fields;
    fields.field("bos", &chat::ChatTemplate::bos);
    fields.field("system", &chat::ChatTemplate::system);
    fields.field("user", &chat::ChatTemplate::user);
    fields.field("assistant", &chat::ChatTemplate::assistant);
    fields.field("end", &chat::ChatTemplate::end);
    return fields;
}

// "data" naming a dataset and its splits.
JsonFields<StageDataset> datasetFields()
{
    JsonFields<StageDataset> fields;
    fields.required("dataset", &StageDataset::dataset);
    fields.field("train", &StageDataset::train);
    fields.field("val", &StageDataset::val);
    return fields;
}

// "data" taking this project's labels: labelled pairs have no named splits, they are split by
// val_fraction alone.
JsonFields<StageDataset> labelDataFields()
{
    JsonFields<StageDataset> fields;
    fields.custom(
        "labels",
        [](JsonReader& data, StageDataset& dataset) {
            JsonReader labels = data.child("labels");
            eval::labelFilterFields().read(labels, dataset.labels.emplace());
        },
        [](const StageDataset& dataset, nlohmann::ordered_json& json) {
            json["labels"] = eval::labelFilterFields().write(*dataset.labels);
        });
    fields.number("val_fraction", ranges::valFraction, &StageDataset::valFraction);
    return fields;
}

// "data": a dataset with its splits, or (reward and dpo) this project's labels split by
// val_fraction. Exactly one of the two: a document naming both would leave the reader guessing.
void readStageDataset(JsonReader& root, FineTuneConfig& config)
{
    JsonReader data = root.child("data");
    if (!data.has("labels")) {
        datasetFields().read(data, config.data); // val_fraction without labels is unknown here
        return;
    }
    if (data.has("dataset")) data.fail("labels", "give either dataset or labels, not both");
    if (config.stage != RunStage::Reward && config.stage != RunStage::Dpo)
        data.fail("labels", "labels train only the reward and dpo stages, not " +
                                std::string(store::runStageName(config.stage)));
    labelDataFields().read(data, config.data);
}

nlohmann::ordered_json stageDatasetJson(const StageDataset& data)
{
    return data.labels ? labelDataFields().write(data) : datasetFields().write(data);
}

JsonFields<FineTuneConfig> makeFineTuneFields()
{
    using Config = FineTuneConfig;
    JsonFields<Config> fields;
    fields.custom(
        "stage",
        [](JsonReader& root, Config& config) {
            readStageField(root, config.stage);
            config.name = store::runStageName(config.stage); // the name's default
        },
        [](const Config& config, nlohmann::ordered_json& json) {
            json["stage"] = std::string(store::runStageName(config.stage));
        });
    fields.field("name", &Config::name);
    fields.required("init", &Config::init);
    fields.field("tokenizer", &Config::tokenizer);
    fields.field("resume_from", &Config::resumeFrom);
    fields.number("max_length", ranges::maxLength, &Config::maxLength);
    fields.custom("data", readStageDataset, [](const Config& config, nlohmann::ordered_json& json) {
        json["data"] = stageDatasetJson(config.data);
    });
    fields.block("chat_template", chatTemplateFields(), &Config::chatTemplate);
    fields.custom(
        "lora",
        [](JsonReader& root, Config& config) {
            if (!root.has("lora")) return; // no block: every weight trains
            JsonReader lora = root.child("lora");
            loraOptionFields().read(lora, config.lora.emplace());
        },
        [](const Config& config, nlohmann::ordered_json& json) {
            if (config.lora) json["lora"] = loraOptionFields().write(*config.lora);
        });
    fields.include(trainingOptionFields());
    return fields;
}

} // namespace

const JsonFields<FineTuneConfig>& fineTuneFields()
{
    static const JsonFields<FineTuneConfig> fields = makeFineTuneFields();
    return fields;
}

FineTuneConfig fineTuneConfigFromJson(const nlohmann::json& json, RunStage stage,
                                      const std::string& where)
{
    FineTuneConfig config;
    config.stage = stage;
    JsonReader root(json, where);
    fineTuneFields().read(root, config);
    return config;
}

nlohmann::json fineTuneJson(const FineTuneConfig& config)
{
    return fineTuneFields().write(config);
}

RunStage stageOf(const nlohmann::json& document, const std::string& where)
{
    if (!document.is_object() || !document.contains("stage") || !document["stage"].is_string())
        throw Error(where + ": stage: missing required field");
    const std::string word = document["stage"].get<std::string>();
    if (const auto stage = store::findRunStage(word)) return *stage;
    throw Error(where + ": stage: expected " + store::runStageList() + ", got \"" + word + "\"");
}

} // namespace rlhf::train
