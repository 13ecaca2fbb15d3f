#include "core/train/sft.h"

#include "core/model/language_model_loss.h"
#include "core/text/tokenizer.h"
#include "core/train/sequence_batch.h"
#include "core/train/sharded_eval.h"
#include "core/train/trainer.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

namespace rlhf::train {

namespace {

// The dialogues as trained token rows, cut to `maxLength`. Rows left without any assistant
// token teach nothing: they are counted and named in the log, not silently kept or lost.
std::vector<chat::EncodedChat> encodeDialogues(const std::vector<data::Record>& records,
                                               const chat::ChatEncoder& encoder, int64_t maxLength,
                                               const std::string& split, StageObserver& observer)
{
    std::vector<chat::EncodedChat> rows;
    int64_t cut = 0, empty = 0;
    std::string firstEmpty;
    PhaseProgress progress(observer, "encoding the " + split + " dialogues", "dialogues",
                           int64_t(records.size()), PhaseProgress::Announce::WhenSlow);
    for (const data::Record& record : records) {
        progress.advance(1);
        chat::EncodedChat chat = encoder.encode(record.messages);
        cut += truncateChat(chat, maxLength) ? 1 : 0;
        bool trained = false;
        for (size_t i = 1; i < chat.trained.size(); ++i)
            trained = trained || chat.trained[i];
        if (!trained) {
            if (empty++ == 0)
                firstEmpty = record.source.file + ":" + std::to_string(record.source.line);
            continue;
        }
        rows.push_back(std::move(chat));
    }
    progress.finish();
    if (cut > 0)
        observer.onLog(split + ": " + std::to_string(cut) + " dialogues cut to " +
                       std::to_string(maxLength) + " tokens");
    if (empty > 0)
        observer.onLog(split + ": " + std::to_string(empty) +
                       " dialogues have no assistant tokens within max_length and are left out "
                       "(first: " +
                       firstEmpty + ")");
    return rows;
}

// Summed negative log-likelihood of the trained targets and their count.
std::pair<at::Tensor, at::Tensor> responseNll(model::TransformerImpl& model,
                                              const SequenceBatch& batch, c10::Device device)
{
    const auto tokens = batch.tokens.to(device);
    const auto mask = batch.targetMask.to(device); // (B, T - 1)
    const int64_t T = tokens.size(1);
    const auto hidden = model.hiddenStates(tokens.narrow(1, 0, T - 1), nullptr, {}, {});
    const at::Tensor nll =
        model::linearCrossEntropy(hidden.reshape({-1, hidden.size(2)}), model.outputWeight(),
                                  tokens.narrow(1, 1, T - 1).reshape(-1), mask.reshape(-1));
    return {nll, mask.sum()};
}

std::vector<const chat::EncodedChat*> rowsOf(const std::vector<chat::EncodedChat>& rows,
                                             const std::vector<int64_t>& indices)
{
    std::vector<const chat::EncodedChat*> batch;
    for (const int64_t index : indices)
        batch.push_back(&rows[size_t(index)]);
    return batch;
}

} // namespace

StageResult runSft(const FineTuneConfig& config, const ChatData& data, const RunContext& run)
{
    Trainer trainer({config, config.resumeFrom, config.tokenizer, fineTuneJson(config)}, run);
    model::TransformerImpl& model = *trainer.trainTransformer(config.init, config.lora);

    const auto encoder =
        chat::ChatEncoder::forModel(data.tokenizer, config.init, config.chatTemplate);
    trainer.log("chat template: " + encoder.origin());
    const int64_t maxLength = config.tokenLimit(model.config().contextLength);
    const auto train = encodeDialogues(data.train, encoder, maxLength, "train", run.observer);
    const auto val = encodeDialogues(data.val, encoder, maxLength, "val", run.observer);
    if (train.empty()) throw Error("sft: no training dialogue has an assistant turn to learn");
    std::vector<int64_t> lengths;
    for (const auto& row : train)
        lengths.push_back(int64_t(row.tokens.size()));
    const BatchPlan plan(lengths, config.batchSize, config.seed,
                         {trainer.rank(), trainer.worldSize()});
    trainer.log(std::to_string(train.size()) + " training dialogues, " +
                std::to_string(val.size()) + " validation dialogues, " +
                std::to_string(plan.batchesPerEpoch()) + " batches per epoch");

    StageHooks hooks;
    hooks.trainStep = [&](int64_t step, double lr) -> MetricValues {
        trainer.zeroGrad();
        std::vector<SequenceBatch> batches;
        double nll = 0, targets = 0;
        for (int64_t micro = 0; micro < config.gradAccumulation; ++micro) {
            const auto rows = rowsOf(train, plan.batch(step * config.gradAccumulation + micro));
            if (rows.empty()) continue; // a short last batch leaves this rank nothing
            batches.push_back(makeSequenceBatch(rows, encoder.padTokenId()));
            targets += batches.back().targetMask.sum().item<double>();
        }
        // Every trained token weighs the same across the accumulated micro-batches and the
        // ranks: each rank divides its sum by the job's token count over the world size, which
        // the gradient (and metric) average over ranks divides by again.
        const double perRank =
            std::max(trainer.sumOverRanks(targets), 1.0) / double(trainer.worldSize());
        for (const SequenceBatch& batch : batches) {
            at::Tensor sum;
            {
                auto scope = trainer.autocast();
                sum = responseNll(model, batch, trainer.device()).first;
            }
            if (&batch == &batches.back()) trainer.reduceDuringNextBackward();
            (sum / perRank).backward();
            nll += sum.item<double>();
        }
        const double gradNorm = trainer.update(lr);
        return {{"train/loss", nll / perRank}, {"train/grad_norm", gradNorm}};
    };
    // Loss per trained token over the held-out dialogues: this rank's batches' sums, added up
    // over the ranks.
    const EvalShard evalShard(int64_t(val.size()), config.batchSize, config.evalBatches,
                              {trainer.rank(), trainer.worldSize()});
    if (!val.empty()) {
        trainer.log("evaluation: " + evalShard.summary("dialogues"));
        hooks.evaluate = [&](int64_t) -> MetricValues {
            at::NoGradGuard noGrad;
            double nll = 0, targets = 0;
            for (const auto& indices : evalShard.batches()) {
                const auto rows = rowsOf(val, indices);
                auto scope = trainer.autocast();
                const auto [sum, count] = responseNll(
                    model, makeSequenceBatch(rows, encoder.padTokenId()), trainer.device());
                nll += sum.item<double>();
                targets += count.item<double>();
            }
            const auto job = trainer.sumOverRanks({nll, targets});
            const double loss = job[0] / std::max(job[1], 1.0);
            return {{"val/loss", loss}, {"val/perplexity", std::exp(loss)}};
        };
    }
    return trainer.run(hooks, "sft");
}

} // namespace rlhf::train
