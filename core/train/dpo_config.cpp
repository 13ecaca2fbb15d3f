#include "core/train/dpo_config.h"

#include "core/train/option_ranges.h"
#include "core/util/json_fields.h"

namespace rlhf::train {

namespace {

JsonFields<DpoConfig> makeDpoFields()
{
    JsonFields<DpoConfig> dpo;
    dpo.number("beta", ranges::dpoBeta, &DpoConfig::beta);
    dpo.word("loss", preferenceLossWords, &DpoConfig::loss);
    JsonFields<DpoConfig> fields;
    fields.include(fineTuneFields());
    fields.block("dpo", dpo);
    return fields;
}

const JsonFields<DpoConfig>& dpoFields()
{
    static const JsonFields<DpoConfig> fields = makeDpoFields();
    return fields;
}

} // namespace

DpoConfig dpoConfigFromJson(const nlohmann::json& json, const std::string& where)
{
    DpoConfig config;
    config.stage = store::RunStage::Dpo;
    JsonReader root(json, where);
    dpoFields().read(root, config);
    return config;
}

nlohmann::json toJson(const DpoConfig& config)
{
    return dpoFields().write(config);
}

} // namespace rlhf::train
