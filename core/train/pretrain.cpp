#include "core/train/pretrain.h"

#include "core/model/language_model_loss.h"
#include "core/train/sharded_eval.h"
#include "core/train/token_windows.h"
#include "core/train/trainer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>
#include <limits>
#include <optional>

namespace rlhf::train {

using model::nextTokenLoss;

StageResult runPretrain(const PretrainConfig& config, const PretrainData& data,
                        const RunContext& run)
{
    Trainer trainer({config, config.resumeFrom, config.tokenizer, toJson(config)}, run);
    model::TransformerImpl& model = *trainer.trainNew(config.model, config.seed);

    const TokenWindows trainWindows(data.train, config.model.contextLength);
    std::optional<TokenWindows> valWindows;
    if (!data.val.empty()) valWindows.emplace(data.val, config.model.contextLength);
    StageHooks hooks;
    hooks.tokensPerStep = config.batchSize * config.gradAccumulation * config.model.contextLength *
                          trainer.worldSize();
    trainer.log(std::to_string(model.parameterCount()) + " parameters, " +
                std::to_string(hooks.tokensPerStep) + " tokens per step");

    // forward -> loss -> backward (accumulated) -> average across ranks, clip, step.
    hooks.trainStep = [&](int64_t step, double lr) -> MetricValues {
        trainer.zeroGrad();
        double loss = 0;
        for (int64_t micro = 0; micro < config.gradAccumulation; ++micro) {
            // This rank's rows of the global batch of batchSize x worldSize windows.
            auto batch = trainWindows
                             .randomBatch(config.seed, step, micro,
                                          trainer.rank() * config.batchSize, config.batchSize)
                             .to(trainer.device());
            at::Tensor microLoss;
            {
                auto scope = trainer.autocast();
                microLoss = nextTokenLoss(model, batch) / double(config.gradAccumulation);
            }
            if (micro == config.gradAccumulation - 1) trainer.reduceDuringNextBackward();
            microLoss.backward();
            loss += microLoss.item<double>();
        }
        return {{"train/loss", loss}, {"train/grad_norm", trainer.update(lr)}};
    };
    // Mean next-token loss over the fixed validation windows: every batch holds batchSize of
    // them, so the mean of the batch means, summed here and added up over the ranks, is it.
    // The split never runs out of windows: as many as asked for are spaced evenly over it.
    const EvalShard evalShard(std::numeric_limits<int64_t>::max(), config.batchSize,
                              config.evalBatches, {trainer.rank(), trainer.worldSize()});
    if (valWindows) {
        trainer.log("evaluation: " + evalShard.summary("windows"));
        hooks.evaluate = [&](int64_t) -> MetricValues {
            at::NoGradGuard noGrad;
            double lossSum = 0, batches = 0;
            for (const int64_t number : evalShard.batchNumbers()) {
                auto batch = valWindows->evalBatch(number, evalShard.batchCount(), config.batchSize)
                                 .to(trainer.device());
                auto scope = trainer.autocast();
                lossSum += nextTokenLoss(model, batch).item<double>();
                batches += 1;
            }
            const auto job = trainer.sumOverRanks({lossSum, batches});
            const double loss = job[0] / job[1];
            return {{"val/loss", loss}, {"val/perplexity", std::exp(loss)}};
        };
    }
    return trainer.run(hooks, "step");
}

} // namespace rlhf::train
