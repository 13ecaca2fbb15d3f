#include "core/train/grpo.h"

#include "core/train/rl_losses.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>

namespace rlhf::train {

namespace {

// A step's groups, scored: batchSize prompts x groupSize replies, in group order.
struct Groups {
    RolloutBatch batch;
    double zeroSpread = 0;    // share of all sampled groups whose replies all scored alike
    int64_t extraPrompts = 0; // prompts dynamic sampling drew beyond the batch
    int64_t dropped = 0;      // zero-spread groups left out of the batch
};

// groupSize replies to each of `prompts`, sampled with `seed` and scored.
RolloutBatch sampleScored(const RlSession& session, const std::vector<int64_t>& prompts,
                          uint64_t seed)
{
    std::vector<int64_t> promptIndex;
    for (const int64_t prompt : prompts)
        promptIndex.insert(promptIndex.end(), size_t(session.config.groupSize), prompt);
    RolloutBatch batch =
        sampleRollouts(session.policy, session.data.train, promptIndex, *session.encoder,
                       session.config, session.trainer.compute(), seed);
    session.scorer->score(batch, session.data.train);
    return batch;
}

// One sampled part of a step and which of its groups had zero spread.
struct Part {
    RolloutBatch batch;
    std::vector<uint8_t> zeroSpread; // per group
};

Part judged(RolloutBatch batch, int64_t groupSize)
{
    const auto flags =
        zeroSpreadGroups(at::tensor(batch.scores, at::kDouble), groupSize).contiguous();
    Part part{std::move(batch), {}};
    for (int64_t g = 0; g < flags.size(0); ++g)
        part.zeroSpread.push_back(flags[g].item<float>() > 0.5f ? 1 : 0);
    return part;
}

// The rows of the part's groups whose zero-spread flag is `zero`, at most `limit` groups.
std::vector<int64_t> rowsOf(const Part& part, int64_t groupSize, uint8_t zero, int64_t limit)
{
    std::vector<int64_t> rows;
    for (size_t g = 0; g < part.zeroSpread.size() && limit > 0; ++g) {
        if (part.zeroSpread[g] != zero) continue;
        for (int64_t r = 0; r < groupSize; ++r)
            rows.push_back(int64_t(g) * groupSize + r);
        --limit;
    }
    return rows;
}

// DAPO's dynamic sampling: the step's groups without the zero-spread ones, more prompts drawn
// (at most 3x batchSize) until batchSize groups have a spread; if the draws run out, the first
// dropped groups fill the batch, so every rank trains on as many rollouts as every other.
Groups sampleGroups(const RlSession& session, int64_t step)
{
    const RlConfig& config = session.config;
    const int64_t G = config.groupSize;
    std::vector<Part> parts;
    parts.push_back(
        judged(sampleScored(session, session.prompts(step), session.rolloutSeed(step)), G));
    Groups groups;
    auto count = [&](uint8_t zero) {
        int64_t n = 0;
        for (const Part& part : parts)
            n += std::count(part.zeroSpread.begin(), part.zeroSpread.end(), zero);
        return n;
    };
    if (config.dynamicSampling) {
        int64_t budget = 3 * config.batchSize;
        for (int64_t round = 1; count(0) < config.batchSize && budget > 0; ++round) {
            const int64_t draw = std::min(config.batchSize - count(0), budget);
            budget -= draw;
            groups.extraPrompts += draw;
            const uint64_t seed =
                session.rolloutSeed(step) ^ (uint64_t(round) * 0xBF58476D1CE4E5B9ull);
            parts.push_back(
                judged(sampleScored(session, session.extraPrompts(step, round, draw), seed), G));
        }
    }
    const int64_t sampled = count(0) + count(1);
    groups.zeroSpread = double(count(1)) / double(sampled);
    if (!config.dynamicSampling) {
        groups.batch = std::move(parts.front().batch);
        return groups;
    }
    std::vector<RolloutBatch> pieces;
    double generationSeconds = 0;
    for (const Part& part : parts) {
        generationSeconds += part.batch.generationSeconds;
        if (auto rows = rowsOf(part, G, 0, config.batchSize); !rows.empty())
            pieces.push_back(takeRollouts(part.batch, rows));
    }
    int64_t missing = config.batchSize - count(0); // > 0 only when the draws ran out
    groups.dropped = count(1) - std::max<int64_t>(missing, 0);
    for (const Part& part : parts) {
        if (missing <= 0) break;
        const auto rows = rowsOf(part, G, 1, missing);
        if (rows.empty()) continue;
        missing -= int64_t(rows.size()) / G;
        pieces.push_back(takeRollouts(part.batch, rows));
    }
    groups.batch = joinRollouts(pieces, session.encoder->padTokenId());
    groups.batch.generationSeconds = generationSeconds;
    return groups;
}

// Each reply's advantage on its tokens, (B, R) on the mask's device; padding 0.
at::Tensor advantagesOf(const RlSession& session, const RolloutBatch& batch,
                        const at::Tensor& tokenKl, const at::Tensor& mask)
{
    const RlConfig& config = session.config;
    const at::Tensor scores = at::tensor(batch.scores, at::kDouble).to(at::kFloat);
    at::Tensor perReply; // (B)
    switch (config.advantage) {
    case AdvantageEstimator::ReinforcePlusPlus: {
        const at::Tensor rewards = scoreAtEndRewards(scores, tokenKl, mask, config.klCoef);
        return whitenOverRanks(discountedReturns(rewards, mask, config.gamma), mask,
                               session.trainer);
    }
    case AdvantageEstimator::Rloo:
        perReply = leaveOneOutAdvantages(scores, config.groupSize);
        break;
    case AdvantageEstimator::DrGrpo:
        perReply = centredGroupAdvantages(scores, config.groupSize);
        break;
    case AdvantageEstimator::Grpo:
        perReply = groupAdvantages(scores, config.groupSize);
        break;
    }
    return perReply.to(mask.device()).unsqueeze(1) * mask; // a reply's tokens share it
}

} // namespace

StageResult runGrpo(const RlConfig& config, const RlData& data, const RunContext& run)
{
    Trainer trainer({config, config.resumeFrom, config.tokenizer, toJson(config)}, run);
    RlSession session(config, data, trainer);
    const auto device = trainer.device();
    const PolicyLossOptions lossOptions = policyLossOptions(config);
    // REINFORCE++ pays the KL in its per-token reward; the others add it to the loss.
    const double klLossCoef =
        config.advantage == AdvantageEstimator::ReinforcePlusPlus ? 0.0 : config.klCoef;

    StageHooks hooks;
    hooks.trainStep = [&](int64_t step, double lr) -> MetricValues {
        // 1. A group of replies per prompt, scored; advantages relative to the group.
        const auto stepStart = std::chrono::steady_clock::now();
        Groups groups = sampleGroups(session, step);
        RolloutBatch& batch = groups.batch;
        const auto mask = batch.mask.to(device);
        at::Tensor oldLogProbs, refLogProbs;
        {
            at::NoGradGuard noGrad;
            auto scope = trainer.autocast();
            oldLogProbs =
                responseLogProbs(*session.policy, batch, config.rollout.temperature, device);
            refLogProbs = session.referenceLogProbs(batch);
        }
        const auto tokenKl = klPerToken(oldLogProbs, refLogProbs, config.klEstimator) * mask;
        const auto advantages = advantagesOf(session, batch, tokenKl, mask);

        // 2. Epochs of minibatches: clipped surrogate + coef * KL(policy || reference).
        const int64_t B = int64_t(batch.texts.size());
        const int64_t minibatch = config.minibatchSize > 0 ? std::min(config.minibatchSize, B) : B;
        at::Generator shuffle =
            at::make_generator<at::CPUGeneratorImpl>(config.seed * 7919 + uint64_t(step));
        MeanMetrics stats;
        for (int64_t epoch = 0; epoch < config.epochs; ++epoch) {
            const auto order = at::randperm(B, shuffle, at::kLong);
            for (int64_t start = 0; start < B; start += minibatch) {
                const auto rows = order.narrow(0, start, std::min(minibatch, B - start));
                const auto onDevice = rows.to(device);
                const RolloutBatch part = selectRows(batch, rows);
                const auto partMask = mask.index_select(0, onDevice);
                at::Tensor logits, loss, klLoss;
                PolicyLoss policyLoss;
                {
                    auto scope = trainer.autocast();
                    const auto logProbs = responseLogProbs(
                        *session.policy, part, config.rollout.temperature, device, &logits);
                    policyLoss = clippedPolicyLoss(logProbs, oldLogProbs.index_select(0, onDevice),
                                                   advantages.index_select(0, onDevice), partMask,
                                                   lossOptions);
                    klLoss =
                        aggregateLoss(klPerToken(logProbs, refLogProbs.index_select(0, onDevice),
                                                 config.klEstimator),
                                      partMask, lossOptions.aggregation, lossOptions.normaliser);
                    loss = klLossCoef > 0 ? policyLoss.loss + klLossCoef * klLoss : policyLoss.loss;
                }
                if (epoch == 0) stats.add("rl/entropy", maskedEntropy(logits.detach(), partMask));
                trainer.zeroGrad();
                trainer.reduceDuringNextBackward();
                loss.backward();
                stats.add("rl/grad_norm", trainer.update(lr));
                stats.add("rl/kl_loss", klLoss.item<double>());
                addPolicyStats(stats, policyLoss);
            }
        }

        // Rewards as logged: the score, less the KL it cost (GRPO pays it in the loss instead).
        std::vector<double> rewards;
        const auto klSums = tokenKl.sum(1).to(at::kDouble).cpu();
        for (int64_t b = 0; b < B; ++b)
            rewards.push_back(batch.scores[size_t(b)] - config.klCoef * klSums[b].item<double>());
        MetricValues metrics = rolloutMetrics(batch, tokenKl, rewards);
        if (config.groupSize >= 2) metrics.emplace_back("rl/zero_spread_groups", groups.zeroSpread);
        if (config.dynamicSampling) {
            metrics.emplace_back("rl/dropped_groups", double(groups.dropped));
            metrics.emplace_back("rl/extra_prompts", double(groups.extraPrompts));
        }
        for (auto& stat : stats.values())
            metrics.push_back(std::move(stat));
        const double stepSeconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - stepStart).count();
        metrics.emplace_back("time/optimisation_s", stepSeconds - batch.generationSeconds);
        session.record(rolloutRows(batch, data.train, tokenKl, rewards, step + 1), run);
        return metrics;
    };
    hooks.evaluate = [&](int64_t) { return session.evaluate(); };
    return trainer.run(hooks, "grpo");
}

} // namespace rlhf::train
