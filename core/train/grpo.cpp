#include "core/train/grpo.h"

#include "core/train/rl_losses.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>

namespace rlhf::train {

StageResult runGrpo(const RlConfig& config, const RlData& data, const RunContext& run)
{
    Trainer trainer({config, config.resumeFrom, config.tokenizer, toJson(config)}, run);
    RlSession session(config, data, trainer);
    const auto device = trainer.device();

    StageHooks hooks;
    hooks.trainStep = [&](int64_t step, double lr) -> MetricValues {
        // 1. A group of replies per prompt, scored; advantages relative to the group.
        std::vector<int64_t> promptIndex;
        for (const int64_t prompt : session.prompts(step))
            promptIndex.insert(promptIndex.end(), size_t(config.groupSize), prompt);
        RolloutBatch batch =
            sampleRollouts(session.policy, data.train, promptIndex, *session.encoder, config,
                           trainer.compute(), session.rolloutSeed(step));
        const auto optimiseStart = std::chrono::steady_clock::now();
        session.scorer->score(batch, data.train);
        const auto mask = batch.mask.to(device);
        const auto advantages =
            groupAdvantages(at::tensor(batch.scores, at::kDouble).to(at::kFloat), config.groupSize)
                .to(device)
                .unsqueeze(1) *
            mask; // every token of a reply shares its reply's advantage
        at::Tensor oldLogProbs, refLogProbs;
        {
            at::NoGradGuard noGrad;
            auto scope = trainer.autocast();
            oldLogProbs =
                responseLogProbs(*session.policy, batch, config.rollout.temperature, device);
            refLogProbs = session.referenceLogProbs(batch);
        }
        const auto tokenKl = klPerToken(oldLogProbs, refLogProbs, config.klEstimator) * mask;

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
                                                   config.clipRange);
                    klLoss = maskedMean(klPerToken(logProbs, refLogProbs.index_select(0, onDevice),
                                                   config.klEstimator),
                                        partMask);
                    loss = policyLoss.loss + config.klCoef * klLoss;
                }
                if (epoch == 0) stats.add("rl/entropy", maskedEntropy(logits.detach(), partMask));
                trainer.zeroGrad();
                trainer.reduceDuringNextBackward();
                loss.backward();
                stats.add("rl/grad_norm", trainer.update(lr));
                stats.add("rl/policy_loss", policyLoss.loss.item<double>());
                stats.add("rl/kl_loss", klLoss.item<double>());
                stats.add("rl/clip_fraction", policyLoss.clipFraction);
                stats.add("rl/approx_kl", policyLoss.approxKl);
                stats.add("rl/ratio_mean", policyLoss.ratioMean);
                stats.add("rl/ratio_var", policyLoss.ratioVariance);
            }
        }

        // Rewards as logged: the score, less the KL it cost (GRPO pays it in the loss instead).
        std::vector<double> rewards;
        const auto klSums = tokenKl.sum(1).to(at::kDouble).cpu();
        for (int64_t b = 0; b < B; ++b)
            rewards.push_back(batch.scores[size_t(b)] - config.klCoef * klSums[b].item<double>());
        MetricValues metrics = rolloutMetrics(batch, tokenKl, rewards);
        for (auto& stat : stats.values())
            metrics.push_back(std::move(stat));
        metrics.emplace_back(
            "time/optimisation_s",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - optimiseStart)
                .count());
        session.record(rolloutRows(batch, data.train, tokenKl, rewards, step + 1), run);
        return metrics;
    };
    hooks.evaluate = [&](int64_t) { return session.evaluate(); };
    return trainer.run(hooks, "grpo");
}

} // namespace rlhf::train
