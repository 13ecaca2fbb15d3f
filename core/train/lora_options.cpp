#include "core/train/lora_options.h"

#include "core/train/option_ranges.h"
#include "core/util/json_fields.h"

namespace rlhf::train {

namespace {

JsonFields<LoraOptions> makeLoraOptionFields()
{
    using Options = LoraOptions;
    using Config = model::LoraConfig;
    JsonFields<Options> fields;
    fields.number("rank", ranges::loraRank, &Options::adapter, &Config::rank);
    fields.number("alpha", ranges::loraAlpha, &Options::adapter, &Config::alpha);
    fields.number("dropout", ranges::loraDropout, &Options::adapter, &Config::dropout);
    fields.custom(
        "target_modules",
        [](JsonReader& reader, Options& options) {
            // A list of names, or PEFT's one word "all-linear".
            if (reader.has("target_modules") && reader.raw("target_modules").is_string()) {
                std::string word;
                reader.read("target_modules", word);
                if (word != "all-linear")
                    reader.fail("target_modules",
                                "expected a list of layer names or \"all-linear\", got \"" + word +
                                    "\"");
                options.adapter.targetModules = {word};
                return;
            }
            reader.read("target_modules", options.adapter.targetModules);
        },
        [](const Options& options, nlohmann::ordered_json& json) {
            const auto& targets = options.adapter.targetModules;
            if (targets == std::vector<std::string>{"all-linear"})
                json["target_modules"] = "all-linear";
            else
                json["target_modules"] = targets;
        });
    fields.field("rslora", &Options::adapter, &Config::rsLora);
    fields.field("dora", &Options::adapter, &Config::dora);
    fields.word("base", baseStorageWords, &Options::base);
    fields.check("target_modules", "name at least one layer, e.g. [\"q_proj\", \"v_proj\"]",
                 [](const Options& options) {
                     for (const std::string& name : options.adapter.targetModules)
                         if (name.empty()) return false;
                     return !options.adapter.targetModules.empty();
                 });
    return fields;
}

} // namespace

const JsonFields<LoraOptions>& loraOptionFields()
{
    static const JsonFields<LoraOptions> fields = makeLoraOptionFields();
    return fields;
}

} // namespace rlhf::train
