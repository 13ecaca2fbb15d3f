#include "core/train/rl_stage.h"

#include "core/train/rl_losses.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace rlhf::train {

RlSession::RlSession(const RlConfig& config_, const RlData& data_, Trainer& trainer_)
    : config(config_), data(data_), trainer(trainer_)
{
    if (data.train.empty())
        throw Error(std::string(store::runStageName(config.stage)) +
                    ": the prompt dataset has no prompts");
    // Rollouts, their old log-probabilities and the updates must see one policy: dropout
    // would make its ratio to itself differ from 1.
    if (config.lora && config.lora->adapter.dropout > 0)
        throw Error(std::string(store::runStageName(config.stage)) +
                    ": lora.dropout: must be 0 in a reinforcement-learning stage");
    policy = trainer.trainTransformer(config.init, config.lora);
    reference = trainer.reference(config.init);
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
    order = std::make_unique<BatchPlan>(std::vector<int64_t>(lengths.size(), 1), 1, config.seed);
    const int64_t ranks = trainer.worldSize();
    trainer.log(std::to_string(data.train.size()) + " prompts, " +
                std::to_string(config.batchSize * config.groupSize * ranks) + " rollouts per step" +
                (ranks > 1 ? " (" + std::to_string(config.batchSize * config.groupSize) +
                                 " on each of " + std::to_string(ranks) + " ranks)"
                           : std::string()));
}

std::vector<int64_t> RlSession::prompts(int64_t step) const
{
    const int64_t first = (step * trainer.worldSize() + trainer.rank()) * config.batchSize;
    std::vector<int64_t> indices;
    for (int64_t position = first; position < first + config.batchSize; ++position)
        indices.push_back(order->batch(position).front());
    return indices;
}

uint64_t RlSession::rolloutSeed(int64_t step) const
{
    return config.seed + uint64_t(step) + uint64_t(trainer.rank()) * 0x9E3779B97F4A7C15ull;
}

std::vector<int64_t> RlSession::extraPrompts(int64_t step, int64_t round, int64_t count) const
{
    std::mt19937_64 random(rolloutSeed(step) * 0x2545F4914F6CDD1Dull + uint64_t(round));
    std::uniform_int_distribution<int64_t> pick(0, int64_t(data.train.size()) - 1);
    std::vector<int64_t> indices;
    for (int64_t i = 0; i < count; ++i)
        indices.push_back(pick(random));
    return indices;
}

at::Tensor RlSession::referenceLogProbs(const RolloutBatch& batch) const
{
    at::Tensor logProbs;
    trainer.withReference([&] {
        logProbs =
            responseLogProbs(*reference.ptr(), batch, config.rollout.temperature, trainer.device());
    });
    return logProbs;
}

MetricValues RlSession::evaluate() const
{
    if (config.evalPrompts == 0 || data.val.empty()) return {};
    const Evaluation evaluation = evaluatePolicy(
        policy, [this](const RolloutBatch& batch) { return referenceLogProbs(batch); }, data.val,
        config.evalPrompts, *encoder, config, trainer.compute(),
        {trainer.rank(), trainer.worldSize()});
    // Sums over this rank's prompts, then over all ranks: the job's means, the same on every
    // rank (an empty slice adds zeros).
    const double n = double(evaluation.prompts);
    const auto sums = trainer.sumOverRanks(
        {evaluation.greedyAccuracy.value_or(0) * n, evaluation.sampledAccuracy.value_or(0) * n,
         evaluation.meanResponseTokens * n, evaluation.klToReference.value_or(0) * n, n});
    const double prompts = sums[4];
    if (prompts == 0) return {};
    return {{"eval/accuracy_greedy", sums[0] / prompts},
            {"eval/accuracy_sampled", sums[1] / prompts},
            {"eval/response_tokens", sums[2] / prompts},
            {"eval/kl", sums[3] / prompts}};
}

namespace {

std::string encodeRollouts(const std::vector<store::Rollout>& rows)
{
    nlohmann::json list = nlohmann::json::array();
    for (const auto& row : rows)
        list.push_back({row.step, row.index, row.prompt, row.response, row.score, row.reward,
                        row.kl, row.trueScore ? nlohmann::json(*row.trueScore) : nlohmann::json(),
                        row.tokenKl});
    const auto bytes = nlohmann::json::to_cbor(list); // binary: doubles travel exactly
    return {bytes.begin(), bytes.end()};
}

std::vector<store::Rollout> decodeRollouts(const std::string& bytes)
{
    std::vector<store::Rollout> rows;
    for (const auto& item : nlohmann::json::from_cbor(bytes)) {
        store::Rollout& row = rows.emplace_back();
        row.step = item[0].get<int64_t>();
        row.index = item[1].get<int64_t>();
        row.prompt = item[2].get<std::string>();
        row.response = item[3].get<std::string>();
        row.score = item[4].get<double>();
        row.reward = item[5].get<double>();
        row.kl = item[6].get<double>();
        if (!item[7].is_null()) row.trueScore = item[7].get<double>();
        row.tokenKl = item[8].get<std::vector<double>>();
    }
    return rows;
}

} // namespace

void RlSession::record(std::vector<store::Rollout> rows, const RunContext& run) const
{
    if (trainer.worldSize() > 1) {
        const auto gathered = trainer.gatherBytes(encodeRollouts(rows));
        if (trainer.rank() != 0) return; // rank 0 alone writes to the project
        rows.clear();
        for (const auto& bytes : gathered)
            for (auto& row : decodeRollouts(bytes)) {
                row.index = int64_t(rows.size()); // positions in the job's batch
                rows.push_back(std::move(row));
            }
    }
    run.observer.onRollouts(rows);
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
    const at::Tensor perToken = tokenKl.to(at::kDouble).cpu();
    const double kl = (perToken * batch.mask.to(at::kDouble)).sum().item<double>() / B;
    MetricValues metrics{{"rl/score", score},
                         {"rl/reward", reward},
                         {"rl/kl", kl},
                         {"rl/kl_p50", maskedQuantile(perToken, batch.mask, 0.5)},
                         {"rl/kl_p95", maskedQuantile(perToken, batch.mask, 0.95)},
                         {"rl/response_length", length},
                         {"rl/eos_rate", finished},
                         {"rl/truncation_rate", 1.0 - finished},
                         {"time/generation_s", batch.generationSeconds}};
    if (known > 0) metrics.emplace_back("task/accuracy", right / known);
    if (!batch.rewardSpread.empty()) { // the ensemble's disagreement: rising = leaving its data
        double spread = 0;
        for (const double value : batch.rewardSpread)
            spread += value / double(batch.rewardSpread.size());
        metrics.emplace_back("rl/reward_ensemble_std", spread);
    }
    return metrics;
}

PolicyLossOptions policyLossOptions(const RlConfig& config)
{
    PolicyLossOptions options;
    options.clipLow = config.clipRangeLow > 0 ? config.clipRangeLow : config.clipRange;
    options.clipHigh = config.clipRangeHigh > 0 ? config.clipRangeHigh : config.clipRange;
    options.aggregation = config.lossAggregation;
    options.normaliser = double(config.rollout.maxNewTokens);
    return options;
}

at::Tensor whitenOverRanks(const at::Tensor& values, const at::Tensor& mask, const Trainer& trainer)
{
    if (trainer.worldSize() == 1) return maskedWhiten(values, mask);
    const auto weights = mask.to(at::kDouble);
    const auto moments = trainer.sumOverRanks(
        {weights.sum().item<double>(), (values.to(at::kDouble) * weights).sum().item<double>()});
    const double count = std::max(moments[0], 1.0), mean = moments[1] / count;
    const auto centred = values.to(at::kDouble) - mean;
    const double squares = trainer.sumOverRanks((centred * centred * weights).sum().item<double>());
    const double variance = squares / std::max(count - 1.0, 1.0); // Bessel's correction
    return (centred / std::sqrt(variance + 1e-8) * weights).to(values.scalar_type());
}

namespace {

template <typename T>
std::vector<T> pick(const std::vector<T>& values, const std::vector<int64_t>& rows)
{
    std::vector<T> picked;
    if (values.empty()) return picked; // not filled yet (scores before scoring)
    for (const int64_t row : rows)
        picked.push_back(values[size_t(row)]);
    return picked;
}

template <typename T> void append(std::vector<T>& to, const std::vector<T>& values)
{
    to.insert(to.end(), values.begin(), values.end());
}

// `tensor` (N, W) right-padded with `value` to (N, width).
at::Tensor padTo(const at::Tensor& tensor, int64_t width, int64_t value)
{
    if (tensor.size(1) == width) return tensor;
    return at::constant_pad_nd(tensor, {0, width - tensor.size(1)}, value);
}

} // namespace

RolloutBatch takeRollouts(const RolloutBatch& batch, const std::vector<int64_t>& rows)
{
    const at::Tensor index = at::tensor(rows, at::kLong);
    RolloutBatch taken;
    taken.promptIndex = pick(batch.promptIndex, rows);
    taken.responses = pick(batch.responses, rows);
    taken.finished = pick(batch.finished, rows);
    taken.texts = pick(batch.texts, rows);
    taken.rows.tokens = batch.rows.tokens.index_select(0, index);
    taken.rows.targetMask = batch.rows.targetMask.index_select(0, index);
    taken.rows.lengths = batch.rows.lengths.index_select(0, index);
    taken.positions = batch.positions.index_select(0, index);
    taken.mask = batch.mask.index_select(0, index);
    taken.scores = pick(batch.scores, rows);
    taken.truth = pick(batch.truth, rows);
    taken.rewardSpread = pick(batch.rewardSpread, rows);
    taken.generationSeconds = batch.generationSeconds;
    return taken;
}

RolloutBatch joinRollouts(const std::vector<RolloutBatch>& parts, int64_t padTokenId)
{
    if (parts.empty()) throw Error("joinRollouts: no batches");
    if (parts.size() == 1) return parts.front();
    int64_t width = 0, responseWidth = 0;
    for (const auto& part : parts) {
        width = std::max(width, part.rows.tokens.size(1));
        responseWidth = std::max(responseWidth, part.mask.size(1));
    }
    RolloutBatch joined;
    std::vector<at::Tensor> tokens, targetMask, lengths, positions, mask;
    for (const auto& part : parts) {
        append(joined.promptIndex, part.promptIndex);
        append(joined.responses, part.responses);
        append(joined.finished, part.finished);
        append(joined.texts, part.texts);
        append(joined.scores, part.scores);
        append(joined.truth, part.truth);
        append(joined.rewardSpread, part.rewardSpread);
        joined.generationSeconds += part.generationSeconds;
        tokens.push_back(padTo(part.rows.tokens, width, padTokenId));
        targetMask.push_back(padTo(part.rows.targetMask, width - 1, 0));
        lengths.push_back(part.rows.lengths);
        positions.push_back(padTo(part.positions, responseWidth, 0));
        mask.push_back(padTo(part.mask, responseWidth, 0));
    }
    joined.rows.tokens = at::cat(tokens, 0);
    joined.rows.targetMask = at::cat(targetMask, 0);
    joined.rows.lengths = at::cat(lengths, 0);
    joined.positions = at::cat(positions, 0);
    joined.mask = at::cat(mask, 0);
    return joined;
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

void addPolicyStats(MeanMetrics& stats, const PolicyLoss& loss)
{
    stats.add("rl/policy_loss", loss.loss.item<double>());
    stats.add("rl/clip_fraction", loss.clipFraction);
    stats.add("rl/clip_fraction_low", loss.clipFractionLow);
    stats.add("rl/clip_fraction_high", loss.clipFractionHigh);
    stats.add("rl/approx_kl", loss.approxKl);
    stats.add("rl/ratio_mean", loss.ratioMean);
    stats.add("rl/ratio_var", loss.ratioVariance);
    stats.add("rl/ratio_p05", loss.ratioP05);
    stats.add("rl/ratio_p95", loss.ratioP95);
}

} // namespace rlhf::train
