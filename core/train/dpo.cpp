#include "core/train/dpo.h"

#include "core/train/precision.h"
#include "core/train/preference_batch.h"
#include "core/train/sharded_eval.h"
#include "core/train/trainer.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

namespace rlhf::train {

namespace {

// Summed reply log-probability of each row: (2B) for a pair batch.
at::Tensor replyLogProbs(model::TransformerImpl& model, const SequenceBatch& batch,
                         c10::Device device)
{
    const auto tokens = batch.tokens.to(device);
    return (targetLogProbs(model.forward(tokens), tokens) * batch.targetMask.to(device)).sum(1);
}

struct Cached {
    std::vector<float> chosen, rejected; // reference log-probabilities per pair
};

// Reference log-probabilities of the pairs in `batches` (pair indices), by pair index; pairs
// in no batch are never looked up and stay 0. Each batch done advances `progress`.
Cached referenceLogProbs(model::TransformerImpl& reference, const std::vector<EncodedPair>& pairs,
                         const std::vector<std::vector<int64_t>>& batches, int64_t padTokenId,
                         const ComputeSetup& setup, PhaseProgress& progress)
{
    at::NoGradGuard noGrad;
    Cached cached{std::vector<float>(pairs.size()), std::vector<float>(pairs.size())};
    for (const auto& indices : batches) {
        at::Tensor logProbs;
        {
            auto scope = setup.autocast();
            logProbs = replyLogProbs(reference, pairBatch(pairs, indices, padTokenId), setup.device)
                           .to(at::kFloat)
                           .cpu();
        }
        const int64_t B = int64_t(indices.size());
        for (int64_t i = 0; i < B; ++i) {
            cached.chosen[size_t(indices[size_t(i)])] = logProbs[i].item<float>();
            cached.rejected[size_t(indices[size_t(i)])] = logProbs[B + i].item<float>();
        }
        progress.advance(B);
    }
    return cached;
}

at::Tensor gather(const std::vector<float>& values, const std::vector<int64_t>& indices,
                  c10::Device device)
{
    std::vector<float> picked;
    for (const int64_t index : indices)
        picked.push_back(values[size_t(index)]);
    return at::tensor(picked, at::kFloat).to(device);
}

MetricValues dpoMetrics(const std::string& prefix, const DpoLoss& loss)
{
    const auto margin = (loss.chosenReward - loss.rejectedReward).to(at::kDouble);
    return {{prefix + "loss", loss.loss.item<double>()},
            {prefix + "reward_chosen", loss.chosenReward.to(at::kDouble).mean().item<double>()},
            {prefix + "reward_rejected", loss.rejectedReward.to(at::kDouble).mean().item<double>()},
            {prefix + "margin", margin.mean().item<double>()},
            {prefix + "accuracy", (margin > 0).to(at::kDouble).mean().item<double>()}};
}

// Sums over this rank's held-out pairs that add up over the ranks to the job's val/ metrics.
struct HeldOutSums {
    double pairs = 0, loss = 0, chosen = 0, rejected = 0, correct = 0;

    void add(const DpoLoss& batch)
    {
        const double count = double(batch.chosenReward.size(0));
        const auto chosenReward = batch.chosenReward.to(at::kDouble);
        const auto rejectedReward = batch.rejectedReward.to(at::kDouble);
        pairs += count;
        loss += batch.loss.item<double>() * count;
        chosen += chosenReward.sum().item<double>();
        rejected += rejectedReward.sum().item<double>();
        correct += (chosenReward - rejectedReward > 0).sum().item<double>();
    }
    // The metrics dpoMetrics gives, over every rank's pairs.
    MetricValues jobMetrics(const Trainer& trainer) const
    {
        const auto job = trainer.sumOverRanks({pairs, loss, chosen, rejected, correct});
        const double count = job[0];
        return {{"val/loss", job[1] / count},
                {"val/reward_chosen", job[2] / count},
                {"val/reward_rejected", job[3] / count},
                {"val/margin", (job[2] - job[3]) / count},
                {"val/accuracy", job[4] / count}};
    }
};

} // namespace

StageResult runDpo(const DpoConfig& config, const ChatData& data, const RunContext& run)
{
    Trainer trainer({config, config.resumeFrom, config.tokenizer, toJson(config)}, run);
    model::TransformerImpl& policy = *trainer.trainTransformer(config.init, config.lora);
    model::Transformer reference = trainer.reference(config.init);

    const auto encoder =
        chat::ChatEncoder::forModel(data.tokenizer, config.init, config.chatTemplate);
    trainer.log("chat template: " + encoder.origin());
    const int64_t maxLength = config.tokenLimit(policy.config().contextLength);
    const auto train = encodePairs(data.train, encoder, maxLength, "train", run.observer);
    const auto val = encodePairs(data.val, encoder, maxLength, "val", run.observer);
    if (train.empty()) throw Error("dpo: no training pair fits max_length");
    // Each rank evaluates its own batches of the held-out pairs, and needs only their reference.
    const EvalShard evalShard(int64_t(val.size()), config.batchSize, config.evalBatches,
                              {trainer.rank(), trainer.worldSize()});
    // One forward pass of the reference per pair before the first step: minutes on a large
    // dataset, so it reports its progress.
    const auto trainBatches = consecutiveBatches(train.size(), config.batchSize);
    int64_t cachedPairs = int64_t(train.size());
    for (const auto& batch : evalShard.batches())
        cachedPairs += int64_t(batch.size());
    PhaseProgress caching(run.observer, "caching reference log-probabilities", "pairs",
                          cachedPairs);
    Cached trainRef, valRef;
    trainer.withReference([&] {
        trainRef = referenceLogProbs(*reference, train, trainBatches, encoder.padTokenId(),
                                     trainer.compute(), caching);
        valRef = referenceLogProbs(*reference, val, evalShard.batches(), encoder.padTokenId(),
                                   trainer.compute(), caching);
    });
    caching.finish();
    reference = nullptr; // cached: the reference model is no longer needed
    const BatchPlan plan(pairLengths(train), config.batchSize, config.seed,
                         {trainer.rank(), trainer.worldSize()});
    trainer.log(std::to_string(train.size()) + " training pairs, " + std::to_string(val.size()) +
                " held-out pairs; reference log-probabilities cached");

    auto pairLoss = [&](const std::vector<EncodedPair>& pairs, const Cached& ref,
                        const std::vector<int64_t>& indices) {
        at::Tensor logProbs;
        {
            auto scope = trainer.autocast();
            logProbs = replyLogProbs(policy, pairBatch(pairs, indices, encoder.padTokenId()),
                                     trainer.device())
                           .to(at::kFloat);
        }
        const int64_t B = int64_t(indices.size());
        return preferenceLoss(logProbs.narrow(0, 0, B), logProbs.narrow(0, B, B),
                              gather(ref.chosen, indices, trainer.device()),
                              gather(ref.rejected, indices, trainer.device()), config.beta,
                              config.loss);
    };

    StageHooks hooks;
    hooks.trainStep = [&](int64_t step, double lr) -> MetricValues {
        trainer.zeroGrad();
        std::vector<at::Tensor> losses, chosen, rejected;
        double pairs = 0, globalPairs = 0; // this rank's and the job's
        for (int64_t micro = 0; micro < config.gradAccumulation; ++micro) {
            const int64_t index = step * config.gradAccumulation + micro;
            const auto indices = plan.batch(index);
            const double weight = plan.shardWeight(index); // 1 unless a short batch splits unevenly
            globalPairs += double(plan.globalBatchSize(index));
            if (indices.empty()) { // a short batch left this rank no pair: it weighs nothing
                losses.push_back(at::zeros({}));
                continue;
            }
            pairs += double(indices.size());
            const DpoLoss loss = pairLoss(train, trainRef, indices);
            // The step's last backward (a rank without that micro-batch reduces all in update()).
            if (micro == config.gradAccumulation - 1) trainer.reduceDuringNextBackward();
            (loss.loss * weight / double(config.gradAccumulation)).backward();
            losses.push_back(loss.loss.detach() * weight);
            chosen.push_back(loss.chosenReward);
            rejected.push_back(loss.rejectedReward);
        }
        const double gradNorm = trainer.update(lr);
        if (chosen.empty()) {
            chosen.push_back(at::zeros({1}));
            rejected.push_back(at::zeros({1}));
        }
        // The loss is already weighted per micro-batch; the means over pairs are weighted here,
        // so that what the ranks average is the job's value.
        const double share = pairs * double(trainer.worldSize()) / globalPairs;
        MetricValues metrics =
            dpoMetrics("train/", {at::stack(losses).mean(), at::cat(chosen), at::cat(rejected)});
        for (auto& [name, value] : metrics)
            if (name != "train/loss") value *= share;
        metrics.emplace_back("train/grad_norm", gradNorm);
        return metrics;
    };
    if (!val.empty()) {
        trainer.log("evaluation: " + evalShard.summary("pairs"));
        hooks.evaluate = [&](int64_t) -> MetricValues {
            at::NoGradGuard noGrad;
            HeldOutSums sums;
            for (const auto& indices : evalShard.batches())
                sums.add(pairLoss(val, valRef, indices));
            return sums.jobMetrics(trainer);
        };
    }
    return trainer.run(hooks, "dpo");
}

} // namespace rlhf::train
