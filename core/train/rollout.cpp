#include "core/train/rollout.h"

#include "core/gen/generator.h"
#include "core/gen/transformer_source.h"
#include "core/train/rl_losses.h"
#include "core/train/scalar_model.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>

namespace rlhf::train {

namespace {

// The task's ground truth: the reply is exactly the reference answer (white space aside).
double matchesReference(const std::string& reply, const std::string& reference)
{
    static const RuleReward exactAnswer({{"exact_answer"}});
    return exactAnswer.score(reply, reference);
}

gen::GenerationConfig generationConfig(const RlConfig& config, const chat::ChatEncoder& encoder,
                                       double temperature, uint64_t seed)
{
    gen::GenerationConfig generation;
    generation.sampling = config.rollout;
    generation.sampling.temperature = temperature;
    generation.sampling.repetitionPenalty = 1.0; // the policy's own distribution, unbent
    generation.sampling.seed = seed;
    generation.eosTokenIds = {encoder.endTokenId()};
    generation.padTokenId = encoder.padTokenId();
    return generation;
}

std::vector<gen::GeneratedSequence> sample(model::Transformer policy,
                                           const std::vector<std::vector<int64_t>>& prompts,
                                           const gen::GenerationConfig& generation,
                                           const ComputeSetup& setup)
{
    gen::TransformerSource source(std::move(policy), setup.bf16);
    return gen::generate(source, prompts, generation);
}

} // namespace

RolloutBatch sampleRollouts(model::Transformer policy, const std::vector<PromptExample>& prompts,
                            const std::vector<int64_t>& promptIndex,
                            const chat::ChatEncoder& encoder, const RlConfig& config,
                            const ComputeSetup& setup, uint64_t seed)
{
    const auto start = std::chrono::steady_clock::now();
    RolloutBatch batch;
    batch.promptIndex = promptIndex;
    std::vector<std::vector<int64_t>> promptTokens;
    for (const int64_t index : promptIndex)
        promptTokens.push_back(encoder.encodePrompt(prompts[size_t(index)].messages));
    const auto generated =
        sample(policy, promptTokens,
               generationConfig(config, encoder, config.rollout.temperature, seed), setup);

    std::vector<chat::EncodedChat> rows;
    int64_t longestResponse = 1;
    for (size_t b = 0; b < generated.size(); ++b) {
        std::vector<int64_t> response = generated[b].tokens;
        const bool finished = generated[b].reason == gen::FinishReason::Eos;
        batch.texts.push_back(encoder.decodeReply(response));
        if (finished) response.push_back(encoder.endTokenId());
        chat::EncodedChat row{promptTokens[b], std::vector<uint8_t>(promptTokens[b].size(), 0)};
        row.tokens.insert(row.tokens.end(), response.begin(), response.end());
        row.trained.resize(row.tokens.size(), 1);
        longestResponse = std::max<int64_t>(longestResponse, int64_t(response.size()));
        batch.finished.push_back(finished ? 1 : 0);
        batch.responses.push_back(std::move(response));
        rows.push_back(std::move(row));
    }
    std::vector<const chat::EncodedChat*> pointers;
    for (const auto& row : rows)
        pointers.push_back(&row);
    batch.rows = makeSequenceBatch(pointers, encoder.padTokenId());

    const auto B = int64_t(rows.size());
    batch.positions = at::zeros({B, longestResponse}, at::kLong);
    batch.mask = at::zeros({B, longestResponse}, at::kFloat);
    auto positions = batch.positions.accessor<int64_t, 2>();
    auto mask = batch.mask.accessor<float, 2>();
    for (int64_t b = 0; b < B; ++b) {
        const auto promptLength = int64_t(promptTokens[size_t(b)].size());
        for (int64_t k = 0; k < int64_t(batch.responses[size_t(b)].size()); ++k) {
            positions[b][k] = promptLength - 1 + k; // target position predicting token P + k
            mask[b][k] = 1.0f;
        }
    }
    batch.generationSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return batch;
}

RolloutBatch selectRows(const RolloutBatch& batch, const at::Tensor& rows)
{
    RolloutBatch subset;
    subset.rows.tokens = batch.rows.tokens.index_select(0, rows);
    subset.rows.lengths = batch.rows.lengths.index_select(0, rows);
    subset.positions = batch.positions.index_select(0, rows);
    subset.mask = batch.mask.index_select(0, rows);
    return subset;
}

at::Tensor atResponse(const at::Tensor& perTarget, const RolloutBatch& batch)
{
    auto index = batch.positions.to(perTarget.device());
    if (perTarget.dim() == 3)
        return perTarget.gather(
            1, index.unsqueeze(2).expand({index.size(0), index.size(1), perTarget.size(2)}));
    return perTarget.gather(1, index);
}

at::Tensor responseLogProbs(model::TransformerImpl& model, const RolloutBatch& batch,
                            double temperature, c10::Device device, at::Tensor* logits)
{
    const auto tokens = batch.rows.tokens.to(device);
    auto all = model.forward(tokens).to(at::kFloat);
    if (temperature != 1.0) all = all / temperature;
    const int64_t T = tokens.size(1);
    const auto perTarget = all.narrow(1, 0, T - 1);     // (B, T - 1, V)
    const auto response = atResponse(perTarget, batch); // (B, R, V)
    const auto targets = tokens.narrow(1, 1, T - 1).gather(1, batch.positions.to(device));
    if (logits) *logits = response;
    return at::log_softmax(response, -1).gather(2, targets.unsqueeze(2)).squeeze(2);
}

RolloutScorer::RolloutScorer(const RlConfig& config, const ComputeSetup& setup)
    : m_config(config), m_setup(setup), m_rules(config.rules, "reward.rules")
{
    std::vector<std::string> folders = config.rewardEnsemble;
    if (!config.rewardModel.empty()) folders.insert(folders.begin(), config.rewardModel);
    for (const std::string& folder : folders) {
        auto& model = m_rewardModels.emplace_back(std::make_unique<ScalarModel>(withContext(
            "reward model " + folder, [&] { return ScalarModel::fromCheckpoint(folder); })));
        model->to(setup.device);
        model->train(false);
    }
}

RolloutScorer::~RolloutScorer() = default;

void RolloutScorer::score(RolloutBatch& batch, const std::vector<PromptExample>& prompts) const
{
    const size_t B = batch.texts.size();
    batch.scores.assign(B, 0.0);
    batch.truth.assign(B, std::nullopt);
    batch.rewardSpread.clear();
    if (!m_rewardModels.empty()) {
        at::NoGradGuard noGrad;
        std::vector<at::Tensor> each;
        for (const auto& model : m_rewardModels) {
            auto scope = m_setup.autocast();
            each.push_back(model->score(batch.rows, m_setup.device).to(at::kDouble).cpu());
        }
        const ShapedScores shaped = shapeRewardScores(at::stack(each), m_config.rewardShaping);
        for (size_t b = 0; b < B; ++b)
            batch.scores[b] +=
                m_config.rewardModelWeight * shaped.scores[int64_t(b)].item<double>();
        if (m_rewardModels.size() > 1)
            for (size_t b = 0; b < B; ++b)
                batch.rewardSpread.push_back(shaped.spread[int64_t(b)].item<double>());
    }
    for (size_t b = 0; b < B; ++b) {
        const std::string& reference = prompts[size_t(batch.promptIndex[b])].reference;
        if (!m_rules.empty()) batch.scores[b] += m_rules.score(batch.texts[b], reference);
        if (!batch.finished[b]) batch.scores[b] += m_config.missingEosPenalty;
        if (!reference.empty()) batch.truth[b] = matchesReference(batch.texts[b], reference);
    }
}

std::vector<store::Rollout> rolloutRows(const RolloutBatch& batch,
                                        const std::vector<PromptExample>& prompts,
                                        const at::Tensor& tokenKl,
                                        const std::vector<double>& rewards, int64_t step)
{
    const auto kl = (tokenKl.to(at::kDouble).cpu() * batch.mask.to(at::kDouble)).contiguous();
    const auto perToken = kl.accessor<double, 2>();
    std::vector<store::Rollout> rows;
    for (size_t b = 0; b < batch.texts.size(); ++b) {
        store::Rollout row;
        row.step = step;
        row.index = int64_t(b);
        for (const auto& message : prompts[size_t(batch.promptIndex[b])].messages)
            row.prompt += (row.prompt.empty() ? "" : "\n") + message.role + ": " + message.content;
        row.response = batch.texts[b];
        row.score = batch.scores[b];
        row.reward = rewards[b];
        row.trueScore = batch.truth[b];
        for (size_t k = 0; k < batch.responses[b].size(); ++k) {
            row.tokenKl.push_back(perToken[int64_t(b)][int64_t(k)]);
            row.kl += row.tokenKl.back();
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

Evaluation evaluatePolicy(model::Transformer policy, const ReferenceLogProbs& referenceLogProbs,
                          const std::vector<PromptExample>& prompts, int64_t count,
                          const chat::ChatEncoder& encoder, const RlConfig& config,
                          const ComputeSetup& setup, BatchShard shard)
{
    Evaluation evaluation;
    std::vector<int64_t> chosen;
    for (size_t i = 0; i < prompts.size() && int64_t(chosen.size()) < count; ++i)
        if (!prompts[i].reference.empty()) chosen.push_back(int64_t(i));
    const size_t first = chosen.size() * size_t(shard.rank) / size_t(shard.count),
                 last = chosen.size() * size_t(shard.rank + 1) / size_t(shard.count);
    chosen = {chosen.begin() + long(first), chosen.begin() + long(last)};
    evaluation.prompts = int64_t(chosen.size());
    if (chosen.empty()) return evaluation;
    auto accuracyOf = [&](const std::vector<std::string>& replies) {
        double right = 0;
        for (size_t i = 0; i < replies.size(); ++i)
            right += matchesReference(replies[i], prompts[size_t(chosen[i])].reference);
        return right / double(replies.size());
    };

    std::vector<std::vector<int64_t>> promptTokens;
    for (const int64_t index : chosen)
        promptTokens.push_back(encoder.encodePrompt(prompts[size_t(index)].messages));
    std::vector<std::string> greedy;
    for (const auto& sequence :
         sample(policy, promptTokens, generationConfig(config, encoder, 0.0, 4242), setup))
        greedy.push_back(encoder.decodeReply(sequence.tokens));
    evaluation.greedyAccuracy = accuracyOf(greedy);

    const RolloutBatch batch =
        sampleRollouts(policy, prompts, chosen, encoder, config, setup, 4242);
    evaluation.sampledAccuracy = accuracyOf(batch.texts);
    for (const auto& response : batch.responses)
        evaluation.meanResponseTokens += double(response.size()) / double(chosen.size());
    if (referenceLogProbs) {
        at::NoGradGuard noGrad;
        auto scope = setup.autocast();
        const auto mask = batch.mask.to(setup.device);
        const auto kl =
            klPerToken(responseLogProbs(*policy, batch, config.rollout.temperature, setup.device),
                       referenceLogProbs(batch), KlEstimator::K1);
        evaluation.klToReference = (kl * mask).sum().item<double>() / double(chosen.size());
    }
    return evaluation;
}

} // namespace rlhf::train
