#include "core/train/rl_config.h"

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
    fields.field("model_weight", &Config::rewardModelWeight);
    fields.field("missing_eos_penalty", &Config::missingEosPenalty);
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
    return fields;
}

// The sampling fields (max_new_tokens, temperature, top_k, top_p), and GRPO's group size.
JsonFields<Config> rolloutFields(RunStage stage)
{
    JsonFields<Config> fields;
    fields.field("max_new_tokens", &Config::rollout, &gen::SamplingSettings::maxNewTokens);
    fields.field("temperature", &Config::rollout, &gen::SamplingSettings::temperature);
    fields.field("top_k", &Config::rollout, &gen::SamplingSettings::topK);
    fields.field("top_p", &Config::rollout, &gen::SamplingSettings::topP);
    fields.check("max_new_tokens", "must be positive",
                 [](const Config& config) { return config.rollout.maxNewTokens > 0; });
    fields.check("temperature", "must be positive (sampling)",
                 [](const Config& config) { return config.rollout.temperature > 0; });
    fields.check("top_k", "must not be negative",
                 [](const Config& config) { return config.rollout.topK >= 0; });
    fields.check("top_p", "must be in (0, 1]", [](const Config& config) {
        return config.rollout.topP > 0 && config.rollout.topP <= 1;
    });
    if (stage != RunStage::Grpo) return fields;
    fields.field("group_size", &Config::groupSize);
    fields.check("group_size", "must be at least 2: advantages compare samples of a prompt",
                 [](const Config& config) { return config.groupSize >= 2; });
    return fields;
}

JsonFields<Config> klFields()
{
    JsonFields<Config> fields;
    fields.word("estimator", klEstimatorWords, &Config::klEstimator);
    fields.field("coef", &Config::klCoef);
    fields.field("target", &Config::klTarget);
    fields.field("horizon", &Config::klHorizon);
    fields.check("coef", "must not be negative",
                 [](const Config& config) { return config.klCoef >= 0; });
    fields.check("target", "must not be negative",
                 [](const Config& config) { return config.klTarget >= 0; });
    fields.check("horizon", "must be positive",
                 [](const Config& config) { return config.klHorizon > 0; });
    return fields;
}

JsonFields<Config> policyFields()
{
    JsonFields<Config> fields;
    fields.field("epochs", &Config::epochs);
    fields.field("minibatch_size", &Config::minibatchSize);
    fields.field("clip_range", &Config::clipRange);
    fields.field("whiten_advantages", &Config::whitenAdvantages);
    fields.check("epochs", "must be positive",
                 [](const Config& config) { return config.epochs > 0; });
    fields.check("minibatch_size", "must not be negative",
                 [](const Config& config) { return config.minibatchSize >= 0; });
    fields.check("clip_range", "must be positive",
                 [](const Config& config) { return config.clipRange > 0; });
    return fields;
}

JsonFields<Config> valueFields()
{
    JsonFields<Config> fields;
    fields.word("init", valueInitWords, &Config::valueInit);
    fields.field("lr", &Config::valueLr);
    fields.field("clip_range", &Config::valueClipRange);
    fields.field("gamma", &Config::gamma);
    fields.field("lambda", &Config::lambda);
    fields.check("init", "reward_model needs reward.model; use \"policy\" with rules only",
                 [](const Config& config) {
                     return config.valueInit != ValueInit::RewardModel ||
                            !config.rewardModel.empty();
                 });
    fields.check("lr", "must not be negative",
                 [](const Config& config) { return config.valueLr >= 0; });
    fields.check("clip_range", "must be positive",
                 [](const Config& config) { return config.valueClipRange > 0; });
    fields.check("gamma", "must be in [0, 1]",
                 [](const Config& config) { return config.gamma >= 0 && config.gamma <= 1; });
    fields.check("lambda", "must be in [0, 1]",
                 [](const Config& config) { return config.lambda >= 0 && config.lambda <= 1; });
    return fields;
}

// PPO-ptx: the next-token loss on a token file.
JsonFields<Config> ptxFields()
{
    JsonFields<Config> fields;
    fields.field("coef", &Config::ptxCoef);
    fields.field("tokens", &Config::ptxTokens);
    fields.check("coef", "must not be negative",
                 [](const Config& config) { return config.ptxCoef >= 0; });
    fields.check("tokens", "a token file is needed when coef > 0", [](const Config& config) {
        return config.ptxCoef <= 0 || !config.ptxTokens.empty();
    });
    return fields;
}

JsonFields<Config> evalFields()
{
    JsonFields<Config> fields;
    fields.field("prompts", &Config::evalPrompts);
    fields.check("prompts", "must not be negative",
                 [](const Config& config) { return config.evalPrompts >= 0; });
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
    fields.block("policy", policyFields());
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
