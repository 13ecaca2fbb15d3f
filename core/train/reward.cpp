#include "core/train/reward.h"

#include "core/train/preference_batch.h"
#include "core/train/reward_probe.h"
#include "core/train/reward_report.h"
#include "core/train/rl_losses.h"
#include "core/train/scalar_model.h"
#include "core/train/sharded_eval.h"
#include "core/train/trainer.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

namespace rlhf::train {

namespace {

struct PairScores {
    at::Tensor chosen, rejected; // (B)
};

PairScores scorePairs(ScalarModel& model, const SequenceBatch& batch, c10::Device device)
{
    const auto scores = model.score(batch, device);
    const int64_t pairs = scores.size(0) / 2;
    return {scores.narrow(0, 0, pairs), scores.narrow(0, pairs, pairs)};
}

MetricValues pairMetrics(const std::string& prefix, const at::Tensor& chosen,
                         const at::Tensor& rejected)
{
    const auto all = at::cat({chosen, rejected}).to(at::kDouble);
    return {{prefix + "accuracy", (chosen > rejected).to(at::kDouble).mean().item<double>()},
            {prefix + "margin", (chosen - rejected).to(at::kDouble).mean().item<double>()},
            {prefix + "reward_mean", all.mean().item<double>()},
            {prefix + "reward_std", all.std().item<double>()}};
}

// val/loss and pairMetrics' four over the held-out pairs of all ranks, from this rank's
// `scored`: sums added up over the ranks, then the squared deviations from the job's mean
// reward, added up too, for its standard deviation.
MetricValues heldOutMetrics(const Trainer& trainer, const std::vector<PairScore>& scored)
{
    std::vector<double> chosenScores, rejectedScores;
    for (const PairScore& pair : scored) {
        chosenScores.push_back(pair.chosen);
        rejectedScores.push_back(pair.rejected);
    }
    const auto chosen = at::tensor(chosenScores, at::kDouble);
    const auto rejected = at::tensor(rejectedScores, at::kDouble);
    const double pairs = double(scored.size());
    const auto sums = trainer.sumOverRanks(
        {pairs, pairs > 0 ? rewardModelLoss(chosen, rejected).item<double>() * pairs : 0.0,
         (chosen > rejected).sum().item<double>(), (chosen - rejected).sum().item<double>(),
         (chosen.sum() + rejected.sum()).item<double>()});
    const double jobPairs = sums[0], rewardMean = sums[4] / (2 * jobPairs);
    const auto all = at::cat({chosen, rejected});
    const double squares = trainer.sumOverRanks((all - rewardMean).square().sum().item<double>());
    return {{"val/loss", sums[1] / jobPairs},
            {"val/accuracy", sums[2] / jobPairs},
            {"val/margin", sums[3] / jobPairs},
            {"val/reward_mean", rewardMean},
            {"val/reward_std", std::sqrt(squares / (2 * jobPairs - 1))}}; // unbiased, as at::std
}

} // namespace

StageResult runReward(const RewardConfig& config, const ChatData& data,
                      const std::vector<PromptExample>& probePrompts, const RunContext& run)
{
    Trainer trainer({config, config.resumeFrom, config.tokenizer, toJson(config)}, run);
    ScalarModel& model = trainer.trainScalar(
        config.init, config.lora,
        config.likelihood ? std::optional<double>(config.likelihoodInit) : std::nullopt);
    if (model.hasLikelihood())
        trainer.log("score: the head at the last token + " +
                    std::to_string(model.likelihoodWeight()) +
                    " (learned) x the mean log-probability of the reply");

    const auto encoder =
        chat::ChatEncoder::forModel(data.tokenizer, config.init, config.chatTemplate);
    trainer.log("chat template: " + encoder.origin());
    const int64_t maxLength = config.tokenLimit(model.body().config().contextLength);
    const auto train = encodePairs(data.train, encoder, maxLength, "train", run.observer);
    const auto val = encodePairs(data.val, encoder, maxLength, "val", run.observer);
    if (train.empty()) throw Error("reward: no training pair fits max_length");
    const BatchPlan plan(pairLengths(train), config.batchSize, config.seed,
                         {trainer.rank(), trainer.worldSize()});
    trainer.log(std::to_string(train.size()) + " training pairs, " + std::to_string(val.size()) +
                " held-out pairs");

    // Scores of the held-out pairs in `batches`, in order (for metrics and the report).
    auto scoreHeldOut = [&](const std::vector<std::vector<int64_t>>& batches) {
        at::NoGradGuard noGrad;
        std::vector<PairScore> scored;
        for (const auto& indices : batches) {
            auto scope = trainer.autocast();
            const auto scores =
                scorePairs(model, pairBatch(val, indices, encoder.padTokenId()), trainer.device());
            for (size_t i = 0; i < indices.size(); ++i) {
                const EncodedPair& pair = val[size_t(indices[i])];
                scored.push_back({pair.promptTokens,
                                  int64_t(pair.chosen.tokens.size()) - pair.promptTokens,
                                  int64_t(pair.rejected.tokens.size()) - pair.promptTokens,
                                  scores.chosen[int64_t(i)].item<double>(),
                                  scores.rejected[int64_t(i)].item<double>()});
            }
        }
        return scored;
    };

    StageHooks hooks;
    hooks.trainStep = [&](int64_t step, double lr) -> MetricValues {
        trainer.zeroGrad();
        std::vector<at::Tensor> chosen, rejected;
        double pairs = 0, globalPairs = 0; // this rank's and the job's
        for (int64_t micro = 0; micro < config.gradAccumulation; ++micro) {
            const int64_t index = step * config.gradAccumulation + micro;
            const auto indices = plan.batch(index);
            const double weight = plan.shardWeight(index); // 1 unless a short batch splits unevenly
            globalPairs += double(plan.globalBatchSize(index));
            if (indices.empty()) continue;
            pairs += double(indices.size());
            const auto batch = pairBatch(train, indices, encoder.padTokenId());
            PairScores scores;
            {
                auto scope = trainer.autocast();
                scores = scorePairs(model, batch, trainer.device());
            }
            // The step's last backward (a rank without that micro-batch reduces all in update()).
            if (micro == config.gradAccumulation - 1) trainer.reduceDuringNextBackward();
            (rewardModelLoss(scores.chosen, scores.rejected) * weight /
             double(config.gradAccumulation))
                .backward();
            chosen.push_back(scores.chosen.detach());
            rejected.push_back(scores.rejected.detach());
        }
        const double gradNorm = trainer.update(lr);
        if (chosen.empty()) { // a short batch left this rank no pair: it weighs nothing
            chosen.push_back(at::zeros({1}));
            rejected.push_back(at::zeros({1}));
        }
        // Means over this rank's pairs, weighted so that their mean over ranks is the job's
        // (reward_std is averaged over ranks: close to, not exactly, the job's).
        const double share = pairs * double(trainer.worldSize()) / globalPairs;
        const auto allChosen = at::cat(chosen), allRejected = at::cat(rejected);
        MetricValues metrics{
            {"train/loss", rewardModelLoss(allChosen, allRejected).item<double>() * share},
            {"train/grad_norm", gradNorm}};
        if (model.hasLikelihood())
            metrics.emplace_back("train/likelihood_weight", model.likelihoodWeight());
        for (auto& [name, value] : pairMetrics("train/", allChosen, allRejected))
            metrics.emplace_back(name, name == "train/reward_std" ? value : value * share);
        return metrics;
    };
    const EvalShard evalShard(int64_t(val.size()), config.batchSize, config.evalBatches,
                              {trainer.rank(), trainer.worldSize()});
    if (!val.empty()) {
        trainer.log("evaluation: " + evalShard.summary("pairs"));
        hooks.evaluate = [&](int64_t) -> MetricValues {
            return heldOutMetrics(trainer, scoreHeldOut(evalShard.batches()));
        };
    }
    StageResult result = trainer.run(hooks, "reward");
    // Rank 0 owns the checkpoint, and the report over every held-out pair beside it.
    if (trainer.rank() == 0 && !val.empty() && !result.lastCheckpoint.empty()) {
        RewardReport report =
            rewardReport(scoreHeldOut(consecutiveBatches(val.size(), config.batchSize)));
        if (config.onPolicy && !probePrompts.empty()) {
            trainer.log("on-policy check: the init model answers " + config.onPolicy->dataset +
                        "/" + config.onPolicy->split);
            model::Transformer policy = model::loadTransformer(config.init);
            policy->to(trainer.device());
            report.onPolicy = onPolicyAccuracy(model, policy, probePrompts, encoder,
                                               *config.onPolicy, trainer.compute(), config.seed);
        }
        writeJsonFile(result.lastCheckpoint / "reward_report.json", report.toJson());
        trainer.log(report.summary());
    }
    return result;
}

} // namespace rlhf::train
