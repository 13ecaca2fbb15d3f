#include "core/train/rl_config.h"

#include "core/util/json_reader.h"

namespace rlhf::train {

std::string klEstimatorName(KlEstimator estimator)
{
    return estimator == KlEstimator::K1 ? "k1" : "k3";
}

namespace {

void readReward(JsonReader reward, RlConfig& config)
{
    reward.read("model", config.rewardModel);
    reward.read("model_weight", config.rewardModelWeight);
    reward.read("missing_eos_penalty", config.missingEosPenalty);
    nlohmann::json rules = nlohmann::json::array();
    reward.read("rules", rules);
    reward.rejectUnknown();
    config.rules = ruleTermsFromJson(rules, reward.path("rules"));
    RuleReward(config.rules, reward.path("rules")); // compiles: a bad regex fails here
    if (config.rewardModel.empty() && config.rules.empty())
        reward.fail("model", "no reward: give a reward model, rules, or both");
}

void readRollout(JsonReader rollout, const std::string& stage, RlConfig& config)
{
    config.groupSize = stage == "grpo" ? 8 : 1;
    rollout.read("max_new_tokens", config.rollout.maxNewTokens);
    rollout.read("temperature", config.rollout.temperature);
    rollout.read("top_k", config.rollout.topK);
    rollout.read("top_p", config.rollout.topP);
    if (stage == "grpo") rollout.read("group_size", config.groupSize);
    rollout.rejectUnknown();
    if (config.rollout.maxNewTokens <= 0) rollout.fail("max_new_tokens", "must be positive");
    if (config.rollout.temperature <= 0) rollout.fail("temperature", "must be positive (sampling)");
    if (config.rollout.topK < 0) rollout.fail("top_k", "must not be negative");
    if (config.rollout.topP <= 0 || config.rollout.topP > 1)
        rollout.fail("top_p", "must be in (0, 1]");
    if (stage == "grpo" && config.groupSize < 2)
        rollout.fail("group_size", "must be at least 2: advantages compare samples of a prompt");
}

void readKl(JsonReader kl, const std::string& stage, RlConfig& config)
{
    std::string estimator = stage == "grpo" ? "k3" : "k1";
    config.klCoef = stage == "grpo" ? 0.04 : 0.05;
    kl.read("estimator", estimator);
    kl.read("coef", config.klCoef);
    kl.read("target", config.klTarget);
    kl.read("horizon", config.klHorizon);
    kl.rejectUnknown();
    if (estimator == "k1")
        config.klEstimator = KlEstimator::K1;
    else if (estimator == "k3")
        config.klEstimator = KlEstimator::K3;
    else
        kl.fail("estimator", "expected k1 or k3, got \"" + estimator + "\"");
    if (config.klCoef < 0) kl.fail("coef", "must not be negative");
    if (config.klTarget < 0) kl.fail("target", "must not be negative");
    if (config.klHorizon <= 0) kl.fail("horizon", "must be positive");
}

void readPolicy(JsonReader policy, RlConfig& config)
{
    policy.read("epochs", config.epochs);
    policy.read("minibatch_size", config.minibatchSize);
    policy.read("clip_range", config.clipRange);
    policy.read("whiten_advantages", config.whitenAdvantages);
    policy.rejectUnknown();
    if (config.epochs <= 0) policy.fail("epochs", "must be positive");
    if (config.minibatchSize < 0) policy.fail("minibatch_size", "must not be negative");
    if (config.clipRange <= 0) policy.fail("clip_range", "must be positive");
}

void readValue(JsonReader value, RlConfig& config)
{
    value.read("init", config.valueInit);
    value.read("lr", config.valueLr);
    value.read("clip_range", config.valueClipRange);
    value.read("gamma", config.gamma);
    value.read("lambda", config.lambda);
    value.rejectUnknown();
    if (config.valueInit != "reward_model" && config.valueInit != "policy")
        value.fail("init", "expected reward_model or policy, got \"" + config.valueInit + "\"");
    if (config.valueInit == "reward_model" && config.rewardModel.empty())
        value.fail("init", "reward_model needs reward.model; use \"policy\" with rules only");
    if (config.valueLr < 0) value.fail("lr", "must not be negative");
    if (config.valueClipRange <= 0) value.fail("clip_range", "must be positive");
    if (config.gamma < 0 || config.gamma > 1) value.fail("gamma", "must be in [0, 1]");
    if (config.lambda < 0 || config.lambda > 1) value.fail("lambda", "must be in [0, 1]");
}

} // namespace

RlConfig rlConfigFromJson(const nlohmann::json& json, const std::string& stage,
                          const std::string& where)
{
    RlConfig config;
    JsonReader root(json, where);
    readFineTuneConfig(root, stage, config);
    readReward(root.child("reward"), config);
    readRollout(root.child("rollout"), stage, config);
    readKl(root.child("kl"), stage, config);
    readPolicy(root.child("policy"), config);
    if (stage == "ppo") {
        readValue(root.child("value"), config);
        JsonReader ptx = root.child("ptx");
        ptx.read("coef", config.ptxCoef);
        ptx.read("tokens", config.ptxTokens);
        ptx.rejectUnknown();
        if (config.ptxCoef < 0) ptx.fail("coef", "must not be negative");
        if (config.ptxCoef > 0 && config.ptxTokens.empty())
            ptx.fail("tokens", "a token file is needed when coef > 0");
    }
    JsonReader eval = root.child("eval");
    eval.read("prompts", config.evalPrompts);
    eval.rejectUnknown();
    if (config.evalPrompts < 0) eval.fail("prompts", "must not be negative");
    root.rejectUnknown();
    return config;
}

nlohmann::json toJson(const RlConfig& config)
{
    nlohmann::json document = fineTuneJson(config);
    document["reward"] = {{"model", config.rewardModel},
                          {"model_weight", config.rewardModelWeight},
                          {"rules", toJson(config.rules)},
                          {"missing_eos_penalty", config.missingEosPenalty}};
    document["rollout"] = {{"max_new_tokens", config.rollout.maxNewTokens},
                           {"temperature", config.rollout.temperature},
                           {"top_k", config.rollout.topK},
                           {"top_p", config.rollout.topP}};
    document["kl"] = {{"estimator", klEstimatorName(config.klEstimator)},
                      {"coef", config.klCoef},
                      {"target", config.klTarget},
                      {"horizon", config.klHorizon}};
    document["policy"] = {{"epochs", config.epochs},
                          {"minibatch_size", config.minibatchSize},
                          {"clip_range", config.clipRange},
                          {"whiten_advantages", config.whitenAdvantages}};
    if (config.stage == "grpo") {
        document["rollout"]["group_size"] = config.groupSize;
    } else {
        document["value"] = {{"init", config.valueInit},
                             {"lr", config.valueLr},
                             {"clip_range", config.valueClipRange},
                             {"gamma", config.gamma},
                             {"lambda", config.lambda}};
        document["ptx"] = {{"coef", config.ptxCoef}, {"tokens", config.ptxTokens}};
    }
    document["eval"] = {{"prompts", config.evalPrompts}};
    return document;
}

} // namespace rlhf::train
