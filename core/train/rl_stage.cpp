#include "core/train/rl_stage.h"

#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>

namespace rlhf::train {

RlSession::RlSession(const RlConfig& config_, const RlData& data_, Trainer& trainer_)
    : config(config_), data(data_), trainer(trainer_)
{
    if (data.train.empty())
        throw Error(std::string(store::runStageName(config.stage)) +
                    ": the prompt dataset has no prompts");
    policy = trainer.trainTransformer(config.init);
    reference = trainer.frozen(config.init);
    encoder = std::make_unique<chat::ChatEncoder>(
        chat::ChatEncoder::forModel(data.tokenizer, config.init, config.chatTemplate));
    trainer.log("chat template: " + encoder->origin());
    scorer = std::make_unique<RolloutScorer>(config, trainer.compute());
    std::vector<int64_t> lengths;
    for (const auto& prompt : data.train)
        lengths.push_back(int64_t(encoder->encodePrompt(prompt.messages).size()));
    const int64_t context = policy->config().contextLength;
    const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
    if (longest + config.rollout.maxNewTokens > context)
        trainer.log("note: prompts of up to " + std::to_string(longest) +
                    " tokens leave fewer than rollout.max_new_tokens in a context of " +
                    std::to_string(context) + "; such replies end at the context");
    // Prompts in plain shuffled order: length-sorted batches (what SFT uses to save padding)
    // would swing in difficulty from one step to the next, which a value model cannot follow.
    plan = std::make_unique<BatchPlan>(std::vector<int64_t>(lengths.size(), 1), config.batchSize,
                                       config.seed);
    trainer.log(std::to_string(data.train.size()) + " prompts, " +
                std::to_string(config.batchSize * config.groupSize) + " rollouts per step");
}

MetricValues RlSession::evaluate() const
{
    if (config.evalPrompts == 0 || data.val.empty()) return {};
    const Evaluation evaluation = evaluatePolicy(policy, reference, data.val, config.evalPrompts,
                                                 *encoder, config, trainer.compute());
    MetricValues metrics;
    if (evaluation.greedyAccuracy)
        metrics.emplace_back("eval/accuracy_greedy", *evaluation.greedyAccuracy);
    if (evaluation.sampledAccuracy)
        metrics.emplace_back("eval/accuracy_sampled", *evaluation.sampledAccuracy);
    if (!metrics.empty()) {
        metrics.emplace_back("eval/response_tokens", evaluation.meanResponseTokens);
        metrics.emplace_back("eval/kl", evaluation.klToReference.value_or(0));
    }
    return metrics;
}

MetricValues rolloutMetrics(const RolloutBatch& batch, const at::Tensor& tokenKl,
                            const std::vector<double>& rewards)
{
    const double B = double(batch.texts.size());
    double score = 0, reward = 0, length = 0, finished = 0, right = 0, known = 0;
    for (size_t b = 0; b < batch.texts.size(); ++b) {
        score += batch.scores[b] / B;
        reward += rewards[b] / B;
        length += double(batch.responses[b].size()) / B;
        finished += double(batch.finished[b]) / B;
        if (batch.truth[b]) {
            right += *batch.truth[b];
            known += 1;
        }
    }
    const double kl =
        (tokenKl.to(at::kDouble).cpu() * batch.mask.to(at::kDouble)).sum().item<double>() / B;
    MetricValues metrics{{"rl/score", score},
                         {"rl/reward", reward},
                         {"rl/kl", kl},
                         {"rl/response_length", length},
                         {"rl/eos_rate", finished},
                         {"time/generation_s", batch.generationSeconds}};
    if (known > 0) metrics.emplace_back("task/accuracy", right / known);
    return metrics;
}

void MeanMetrics::add(const std::string& name, double value)
{
    for (auto& [key, sum] : m_sums)
        if (key == name) {
            sum.first += value;
            ++sum.second;
            return;
        }
    m_sums.push_back({name, {value, 1}});
}

MetricValues MeanMetrics::values() const
{
    MetricValues values;
    for (const auto& [key, sum] : m_sums)
        values.emplace_back(key, sum.first / double(sum.second));
    return values;
}

} // namespace rlhf::train
