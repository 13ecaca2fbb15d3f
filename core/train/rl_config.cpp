#include "core/train/rl_config.h"

#include "core/train/option_ranges.h"
#include "core/util/json_fields.h"

namespace rlhf::train {

std::string klEstimatorName(KlEstimator estimator)
{
    return std::string(wordOf(klEstimatorWords, estimator));
}

namespace {

using store::RunStage;
using Config = RlConfig;

JsonFields<Config> rewardFields()
{
    JsonFields<Config> fields;
    fields.field("model", &Config::rewardModel);
    fields.number("model_weight", ranges::rewardWeight, &Config::rewardModelWeight);
    fields.number("missing_eos_penalty", ranges::rewardWeight, &Config::missingEosPenalty);
    fields.field("ensemble", &Config::rewardEnsemble);
    fields.word("aggregate", ensembleAggregateWords, &Config::rewardShaping,
                &RewardShaping::aggregate);
    fields.number("lcb_k", ranges::lcbK, &Config::rewardShaping, &RewardShaping::lcbK);
    fields.word("normalize", rewardNormalizationWords, &Config::rewardShaping,
                &RewardShaping::normalize);
    fields.number("clip", ranges::rewardClip, &Config::rewardShaping, &RewardShaping::clip);
    fields.custom(
        "rules",
        [](JsonReader& reward, Config& config) {
            nlohmann::json rules = nlohmann::json::array();
            reward.read("rules", rules);
            config.rules = ruleTermsFromJson(rules, reward.path("rules"));
            RuleReward(config.rules, reward.path("rules")); // compiles: a bad regex fails here
        },
        [](const Config& config, nlohmann::ordered_json& json) {
            json["rules"] = toJson(config.rules);
        });
    fields.check(
        "model", "no reward: give a reward model, rules, or both",
        [](const Config& config) { return !config.rewardModel.empty() || !config.rules.empty(); });
    fields.check("ensemble", "an ensemble needs reward.model, the first of its models",
                 [](const Config& config) {
                     return config.rewardEnsemble.empty() || !config.rewardModel.empty();
                 });
    return fields;
}

// The sampling fields (max_new_tokens, temperature, top_k, top_p), and GRPO's group size.
JsonFields<Config> rolloutFields(RunStage stage)
{
    JsonFields<Config> fields;
    using gen::SamplingSettings;
    fields.number("max_new_tokens", ranges::rolloutTokens, &Config::rollout,
                  &SamplingSettings::maxNewTokens);
    fields.number("temperature", ranges::rolloutTemperature, &Config::rollout,
                  &SamplingSettings::temperature);
    fields.number("top_k", ranges::topK, &Config::rollout, &SamplingSettings::topK);
    fields.number("top_p", ranges::topP, &Config::rollout, &SamplingSettings::topP);
    if (stage != RunStage::Grpo) return fields;
    // At least 2 but for reinforce++ (checked with policy.advantage, which is read later).
    fields.number("group_size", ranges::groupSize, &Config::groupSize);
    return fields;
}

JsonFields<Config> klFields()
{
    JsonFields<Config> fields;
    fields.word("estimator", klEstimatorWords, &Config::klEstimator);
    fields.number("coef", ranges::klCoef, &Config::klCoef);
    fields.number("target", ranges::klTarget, &Config::klTarget);
    fields.number("horizon", ranges::klHorizon, &Config::klHorizon);
    return fields;
}

// Both stages: epochs, minibatches, the clip (clip-higher) and the loss aggregation. GRPO adds
// how advantages are made (and reinforce++'s discount) and DAPO's dynamic sampling.
JsonFields<Config> policyFields(RunStage stage)
{
    JsonFields<Config> fields;
    fields.number("epochs", ranges::epochs, &Config::epochs);
    fields.number("minibatch_size", ranges::minibatchSize, &Config::minibatchSize);
    fields.number("clip_range", ranges::clipRange, &Config::clipRange);
    fields.number("clip_range_low", ranges::clipRangeSide, &Config::clipRangeLow);
    fields.number("clip_range_high", ranges::clipRangeSide, &Config::clipRangeHigh);
    fields.word("loss_aggregation", lossAggregationWords, &Config::lossAggregation);
    fields.field("whiten_advantages", &Config::whitenAdvantages);
    if (stage != RunStage::Grpo) return fields;
    fields.word("advantage", advantageWords, &Config::advantage);
    fields.number("gamma", ranges::discount, &Config::gamma);
    fields.field("dynamic_sampling", &Config::dynamicSampling);
    fields.check("advantage", [](const Config& config) -> std::string {
        if (config.groupSize >= 2 || config.advantage == AdvantageEstimator::ReinforcePlusPlus)
            return {};
        return std::string(wordOf(advantageWords, config.advantage)) +
               " compares the replies of a prompt: rollout.group_size must be at least 2 "
               "(reinforce++ works with 1)";
    });
    fields.check(
        "dynamic_sampling",
        "needs rollout.group_size >= 2: a group of one reply never has a spread",
        [](const Config& config) { return !config.dynamicSampling || config.groupSize >= 2; });
    return fields;
}

JsonFields<Config> valueFields()
{
    JsonFields<Config> fields;
    fields.word("init", valueInitWords, &Config::valueInit);
    fields.number("lr", ranges::valueLr, &Config::valueLr);
    fields.number("clip_range", ranges::valueClipRange, &Config::valueClipRange);
    fields.number("gamma", ranges::discount, &Config::gamma);
    fields.number("lambda", ranges::discount, &Config::lambda);
    fields.check("init", "reward_model needs reward.model; use \"policy\" with rules only",
                 [](const Config& config) {
                     return config.valueInit != ValueInit::RewardModel ||
                            !config.rewardModel.empty();
                 });
    return fields;
}

// PPO-ptx: the next-token loss on a token file.
JsonFields<Config> ptxFields()
{
    JsonFields<Config> fields;
    fields.number("coef", ranges::ptxCoef, &Config::ptxCoef);
    fields.field("tokens", &Config::ptxTokens);
    fields.check("tokens", "a token file is needed when coef > 0", [](const Config& config) {
        return config.ptxCoef <= 0 || !config.ptxTokens.empty();
    });
    return fields;
}

JsonFields<Config> evalFields()
{
    JsonFields<Config> fields;
    fields.number("prompts", ranges::evalPrompts, &Config::evalPrompts);
    return fields;
}

// The whole document of `stage`: GRPO has no value model and no ptx loss.
JsonFields<Config> rlFields(RunStage stage)
{
    JsonFields<Config> fields;
    fields.include(fineTuneFields());
    fields.block("reward", rewardFields());
    fields.block("rollout", rolloutFields(stage));
    fields.block("kl", klFields());
    fields.block("policy", policyFields(stage));
    if (stage == RunStage::Ppo) {
        fields.block("value", valueFields());
        fields.block("ptx", ptxFields());
    }
    fields.block("eval", evalFields());
    return fields;
}

} // namespace

RlConfig rlConfigDefaults(RunStage stage)
{
    RlConfig config;
    config.stage = stage;
    if (stage == RunStage::Grpo) {
        config.groupSize = 8;
        config.klEstimator = KlEstimator::K3;
        config.klCoef = 0.04;
    }
    return config;
}

RlConfig rlConfigFromJson(const nlohmann::json& json, RunStage stage, const std::string& where)
{
    RlConfig config = rlConfigDefaults(stage);
    JsonReader root(json, where);
    rlFields(stage).read(root, config);
    return config;
}

nlohmann::json toJson(const RlConfig& config)
{
    return rlFields(config.stage).write(config);
}

} // namespace rlhf::train
