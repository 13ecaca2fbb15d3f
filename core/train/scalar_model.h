// A Transformer with a scalar head beside its language-model head: the reward model (a score
// read at each sequence's last token) and PPO's value model (a value at every token). The head
// is score.weight (1, dim) and score.bias (1), saved as score.safetensors next to the body's
// model.safetensors, so a reward checkpoint is still a loadable HF folder.
// A reward model may also weigh in its own likelihood of the reply: score = head(last token) +
// w * mean log p(reply token | what precedes it), with w (score.likelihood_weight) learned. The
// language-model head already ranks a right reply over a wrong one where the model knows the
// answer; a linear head on one hidden state has to learn that comparison from scratch.
// With LoRA the body can be one adapter of a base it shares (PPO's value model beside the policy
// adapter): then it trains that adapter and its head only.
#pragma once

#include "core/model/checkpoint.h"
#include "core/model/transformer.h"
#include "core/train/sequence_batch.h"

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <optional>

namespace rlhf::train {

inline constexpr const char* scalarHeadFile = "score.safetensors";

class ScalarModel {
public:
    // Body loaded from `folder`; head from its score.safetensors when present, else new
    // (zero weight and bias: the first scores are 0, so the first updates are well scaled).
    static ScalarModel fromCheckpoint(const std::filesystem::path& folder);
    // `body` as it is, with the head of `folder`'s score.safetensors when present, else new.
    static ScalarModel withBody(model::Transformer body, const std::filesystem::path& folder);
    // As withBody, and the likelihood term starts at `weight` when the checkpoint has none
    // (a checkpoint's own weight wins, so a resumed or refreshed model keeps what it learned).
    static ScalarModel withLikelihood(model::Transformer body, const std::filesystem::path& folder,
                                      double weight);
    // Adapter `adapter` of the shared `body`, with a head as withBody's.
    static ScalarModel onAdapter(model::Transformer body, int adapter,
                                 const std::filesystem::path& folder);

    // While alive, a shared body computes with this model's adapter, then with the one active
    // before. Hold it over forward and backward: activation checkpointing recomputes the
    // forward pass during backward. A no-op for a body of its own.
    class AdapterScope {
    public:
        AdapterScope(model::TransformerImpl* body, int adapter);
        ~AdapterScope();
        AdapterScope(const AdapterScope&) = delete;
        AdapterScope& operator=(const AdapterScope&) = delete;

    private:
        model::TransformerImpl* m_body;
        int m_before;
    };
    [[nodiscard]] AdapterScope active();

    // (B, T) one scalar per token, from the final hidden states.
    at::Tensor perToken(const at::Tensor& tokens);
    // (B): the scalar at token lengths[b] - 1 of each right-padded row.
    at::Tensor atLastToken(const at::Tensor& tokens, const at::Tensor& lengths);
    // (B): the reward of each row of `batch` (moved to `device`): atLastToken, plus the
    // likelihood term over the reply tokens (batch.targetMask) when the model has one.
    at::Tensor score(const SequenceBatch& batch, c10::Device device);
    bool hasLikelihood() const { return m_likelihoodWeight.defined(); }
    double likelihoodWeight() const; // 0 without the term
    // Forgets the likelihood term: a value model started from a reward model reads its head.
    void dropLikelihood() { m_likelihoodWeight = at::Tensor(); }

    model::TransformerImpl& body() { return *m_body; }
    model::Transformer bodyHandle() const { return m_body; }
    // Body parameters (HF names; on a shared body the adapter's) and the head's
    // "score.weight" / "score.bias".
    model::NamedTensors parameters() const;
    model::NamedTensors head() const; // "score.weight", "score.bias" (+ "score.likelihood_weight")
    void to(const c10::Device& device);
    void train(bool on);
    // Saves body and head (and `contents`) as one checkpoint folder.
    void save(const std::filesystem::path& folder, model::CheckpointContents contents);

private:
    // (B): the head on hidden states (B, T, dim) at token lengths[b] - 1 of each row.
    at::Tensor headAtLast(const at::Tensor& hidden, const at::Tensor& lengths) const;

    model::Transformer m_body{nullptr};
    std::optional<int> m_adapter;  // on a shared body: the adapter that is this model's
    at::Tensor m_weight;           // (1, dim)
    at::Tensor m_bias;             // (1)
    at::Tensor m_likelihoodWeight; // (1) or undefined: no likelihood term
};

} // namespace rlhf::train
