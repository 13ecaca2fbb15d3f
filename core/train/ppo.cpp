#include "core/train/ppo.h"

#include "core/model/tensor_io.h"
#include "core/train/rl_losses.h"
#include "core/train/scalar_model.h"
#include "core/train/token_windows.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

namespace rlhf::train {

namespace {

// The value model: a fresh start from the reward model or the policy's init checkpoint (beside
// a policy adapter, an adapter on the same base where it can be), or the state a resumed
// checkpoint saved.
ScalarModel loadValueModel(const RlConfig& config, Trainer& trainer)
{
    const std::filesystem::path source =
        config.valueInit == ValueInit::RewardModel ? config.rewardModel : config.init;
    std::optional<ScalarModel> shared = trainer.valueAdapter(source);
    ScalarModel value = shared ? std::move(*shared) : ScalarModel::fromCheckpoint(source);
    value.dropLikelihood(); // values are read per token, by the head alone
    if (config.resumeFrom.empty()) return value;
    const auto file = std::filesystem::path(config.resumeFrom) / valueModelFile;
    std::map<std::string, at::Tensor> saved;
    for (auto& [name, tensor] : model::readTensors(file))
        saved.emplace(name, tensor);
    at::NoGradGuard noGrad;
    for (const auto& [name, parameter] : value.parameters()) {
        const auto found = saved.find("value." + name);
        if (found == saved.end() || found->second.sizes() != parameter.sizes())
            throw Error(file.string() + ": missing or mis-shaped value." + name);
        parameter.copy_(found->second);
    }
    return value;
}

model::NamedTensors prefixed(const model::NamedTensors& tensors, const std::string& prefix)
{
    model::NamedTensors named;
    for (const auto& [name, tensor] : tensors)
        named.emplace_back(prefix + name, tensor.detach().cpu());
    return named;
}

} // namespace

StageResult runPpo(const RlConfig& config, const RlData& data, const RunContext& run)
{
    Trainer trainer({config, config.resumeFrom, config.tokenizer, toJson(config)}, run);
    RlSession session(config, data, trainer);
    const auto device = trainer.device();
    ScalarModel value = loadValueModel(config, trainer);
    value.to(device);
    const NamedTensors valueParameters = value.parameters();
    trainer.trainValue(valueParameters, valueOptimizerFile);
    std::optional<TokenWindows> ptx;
    if (config.ptxCoef > 0) ptx.emplace(data.ptx, session.policy->config().contextLength);
    const PolicyLossOptions lossOptions = policyLossOptions(config);
    double klCoef = config.klCoef;
    if (!config.resumeFrom.empty()) {
        const auto state = model::loadTrainerState(config.resumeFrom);
        if (state.contains("kl_coef")) klCoef = state["kl_coef"].get<double>();
    }

    StageHooks hooks;
    hooks.trainStep = [&](int64_t step, double lr) -> MetricValues {
        // 1. Rollouts, their scores, and everything the losses compare against, without grad.
        RolloutBatch batch =
            sampleRollouts(session.policy, data.train, session.prompts(step), *session.encoder,
                           config, trainer.compute(), session.rolloutSeed(step));
        const auto optimiseStart = std::chrono::steady_clock::now();
        session.scorer->score(batch, data.train);
        const auto mask = batch.mask.to(device);
        at::Tensor oldLogProbs, refLogProbs, oldValues;
        {
            at::NoGradGuard noGrad;
            auto scope = trainer.autocast();
            oldLogProbs =
                responseLogProbs(*session.policy, batch, config.rollout.temperature, device);
            refLogProbs = session.referenceLogProbs(batch);
            const auto valueAdapter = value.active();
            const int64_t T = batch.rows.tokens.size(1);
            oldValues =
                atResponse(value.perToken(batch.rows.tokens.to(device)).narrow(1, 0, T - 1), batch)
                    .to(at::kFloat) *
                mask;
        }
        const auto tokenKl = klPerToken(oldLogProbs, refLogProbs, config.klEstimator) * mask;
        const auto rewards =
            scoreAtEndRewards(at::tensor(batch.scores, at::kDouble), tokenKl, mask, klCoef);
        std::vector<double> totalRewards;
        for (int64_t b = 0; b < rewards.size(0); ++b)
            totalRewards.push_back(rewards[b].sum().item<double>());
        auto [advantages, returns] =
            generalisedAdvantages(rewards, oldValues, mask, config.gamma, config.lambda);
        // Before the update: how much of the returns' variance the rollout's values explained.
        const double explained = explainedVariance(oldValues, returns, mask);
        if (config.whitenAdvantages) advantages = whitenOverRanks(advantages, mask, trainer);

        // 2. Several epochs of minibatches over the batch: policy, then value.
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

                at::Tensor logits;
                PolicyLoss policyLoss;
                at::Tensor loss;
                {
                    auto scope = trainer.autocast();
                    const auto logProbs = responseLogProbs(
                        *session.policy, part, config.rollout.temperature, device, &logits);
                    policyLoss = clippedPolicyLoss(logProbs, oldLogProbs.index_select(0, onDevice),
                                                   advantages.index_select(0, onDevice), partMask,
                                                   lossOptions);
                    loss = policyLoss.loss;
                    if (ptx) {
                        const auto windows =
                            ptx->randomBatch(config.seed + 1, step, epoch * B + start,
                                             trainer.rank() * minibatch, minibatch)
                                .to(device);
                        const int64_t T = windows.size(1) - 1;
                        const auto ptxLogits = session.policy->forward(windows.narrow(1, 0, T));
                        const auto ptxLoss = at::cross_entropy_loss(
                            ptxLogits.reshape({-1, ptxLogits.size(-1)}).to(at::kFloat),
                            windows.narrow(1, 1, T).reshape(-1));
                        loss = loss + config.ptxCoef * ptxLoss;
                        stats.add("rl/ptx_loss", ptxLoss.item<double>());
                    }
                }
                if (epoch == 0) stats.add("rl/entropy", maskedEntropy(logits.detach(), partMask));
                trainer.zeroGrad();
                trainer.reduceDuringNextBackward();
                loss.backward();
                stats.add("rl/grad_norm", trainer.update(lr));
                addPolicyStats(stats, policyLoss);

                const auto valueAdapter = value.active(); // over forward and backward
                ValueLoss valueLoss;
                {
                    auto scope = trainer.autocast();
                    const int64_t T = part.rows.tokens.size(1);
                    const auto values =
                        atResponse(value.perToken(part.rows.tokens.to(device)).narrow(1, 0, T - 1),
                                   part)
                            .to(at::kFloat);
                    valueLoss = clippedValueLoss(values, oldValues.index_select(0, onDevice),
                                                 returns.index_select(0, onDevice), partMask,
                                                 config.valueClipRange);
                }
                trainer.zeroGrad(Trained::Value);
                trainer.reduceDuringNextBackward(Trained::Value);
                valueLoss.loss.backward();
                trainer.update(config.valueLr > 0 ? config.valueLr : lr, Trained::Value);
                stats.add("rl/value_loss", valueLoss.loss.item<double>());
                stats.add("rl/value_clip_fraction", valueLoss.clipFraction);
            }
        }

        // 3. Adaptive KL (Ziegler et al.): nudge the coefficient towards the target KL. The KL
        // and the batch are the job's, so the coefficient stays the same on every rank.
        MetricValues metrics = rolloutMetrics(batch, tokenKl, totalRewards);
        if (config.klTarget > 0) {
            const double localKl = std::find_if(metrics.begin(), metrics.end(), [](const auto& m) {
                                       return m.first == "rl/kl";
                                   })->second;
            const auto job = trainer.sumOverRanks({localKl * double(B), double(B)});
            const double error = std::clamp(job[0] / job[1] / config.klTarget - 1.0, -0.2, 0.2);
            klCoef *= 1.0 + error * job[1] / config.klHorizon;
        }
        for (auto& stat : stats.values())
            metrics.push_back(std::move(stat));
        metrics.emplace_back("rl/kl_coef", klCoef);
        if (std::isfinite(explained))
            metrics.emplace_back("rl/value_explained_variance", explained);
        metrics.emplace_back(
            "time/optimisation_s",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - optimiseStart)
                .count());
        session.record(rolloutRows(batch, data.train, tokenKl, totalRewards, step + 1), run);
        return metrics;
    };
    hooks.evaluate = [&](int64_t) { return session.evaluate(); };
    hooks.extendCheckpoint = [&](model::CheckpointContents& contents) {
        contents.tensorFiles.emplace_back(valueModelFile, prefixed(valueParameters, "value."));
        contents.trainerState["kl_coef"] = klCoef; // the adaptive coefficient is state too
    };
    return trainer.run(hooks, "ppo");
}

} // namespace rlhf::train
