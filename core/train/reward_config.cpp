#include "core/train/reward_config.h"

#include "core/train/option_ranges.h"
#include "core/util/json_fields.h"

namespace rlhf::train {

namespace {

JsonFields<OnPolicyProbe> onPolicyFields()
{
    JsonFields<OnPolicyProbe> fields;
    fields.required("dataset", &OnPolicyProbe::dataset);
    fields.field("split", &OnPolicyProbe::split);
    fields.number("prompts", ranges::probePrompts, &OnPolicyProbe::prompts);
    fields.number("samples", ranges::probeSamples, &OnPolicyProbe::samples);
    fields.number("max_new_tokens", ranges::rolloutTokens, &OnPolicyProbe::maxNewTokens);
    return fields;
}

JsonFields<RewardConfig> makeRewardFields()
{
    JsonFields<RewardConfig> model;
    model.field("likelihood", &RewardConfig::likelihood);
    model.number("likelihood_init", ranges::likelihoodInit, &RewardConfig::likelihoodInit);
    JsonFields<RewardConfig> fields;
    fields.include(fineTuneFields());
    fields.block("reward_model", model);
    fields.custom(
        "on_policy",
        [](JsonReader& root, RewardConfig& config) {
            if (!root.has("on_policy")) return; // no block: no on-policy report
            JsonReader block = root.child("on_policy");
            onPolicyFields().read(block, config.onPolicy.emplace());
        },
        [](const RewardConfig& config, nlohmann::ordered_json& json) {
            if (config.onPolicy) json["on_policy"] = onPolicyFields().write(*config.onPolicy);
        });
    return fields;
}

const JsonFields<RewardConfig>& rewardFields()
{
    static const JsonFields<RewardConfig> fields = makeRewardFields();
    return fields;
}

} // namespace

RewardConfig rewardConfigFromJson(const nlohmann::json& json, const std::string& where)
{
    RewardConfig config;
    config.stage = store::RunStage::Reward;
    JsonReader root(json, where);
    rewardFields().read(root, config);
    return config;
}

nlohmann::json toJson(const RewardConfig& config)
{
    return rewardFields().write(config);
}

} // namespace rlhf::train
