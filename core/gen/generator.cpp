// The generation loop (see generator.h): prefill, then sample -> stream -> stop checks -> drop
// finished rows -> feed the new tokens, until no row is left.
#include "core/gen/generator.h"

#include "core/gen/batch_decoder.h"
#include "core/gen/sampler.h"

// Per-operator headers: less compile time than <ATen/ATen.h>.
#include <ATen/core/Tensor.h>
#include <ATen/ops/tensor.h>

#include <algorithm>
#include <numeric>
#include <utility>

namespace rlhf::gen {

namespace {

// The per-row side of one generate() call: results by prompt, which prompt each batch row is,
// and what a newly drawn token does to its row (eos, streaming, stop checks, length limit).
class Generation {
public:
    Generation(const GenerationConfig& config, const TokenCallback& onToken,
               const Detokenizer& decode, size_t promptCount)
        : m_config(config), m_onToken(onToken), m_decode(decode),
          m_stop(config.stopSequences, config.stopStrings, decode), m_results(promptCount),
          m_finished(promptCount, false), m_batchRows(promptCount)
    {
        std::iota(m_batchRows.begin(), m_batchRows.end(), int64_t{0});
    }

    // Takes one drawn token per batch row; returns the batch rows that go on, and from then on
    // the batch holds only those rows.
    std::vector<int64_t> accept(const std::vector<int64_t>& tokens)
    {
        std::vector<int64_t> running;
        for (size_t index = 0; index < tokens.size() && !m_stopAll; ++index)
            if (acceptToken(m_batchRows[index], tokens[index]))
                running.push_back(static_cast<int64_t>(index));
        if (m_stopAll) {
            endRunning(FinishReason::Callback);
            return {};
        }
        std::vector<int64_t> rows;
        for (const int64_t index : running)
            rows.push_back(m_batchRows[index]);
        m_batchRows = std::move(rows);
        return running;
    }

    // Ends every row that is still running.
    void endRunning(FinishReason reason)
    {
        for (const int64_t row : m_batchRows)
            if (!m_finished[row]) end(row, reason);
        m_batchRows.clear();
    }

    std::vector<GeneratedSequence> takeResults() { return std::move(m_results); }

private:
    // Returns whether `row` goes on after `token`.
    bool acceptToken(int64_t row, int64_t token)
    {
        if (std::find(m_config.eosTokenIds.begin(), m_config.eosTokenIds.end(), token) !=
            m_config.eosTokenIds.end())
            return end(row, FinishReason::Eos);
        GeneratedSequence& result = m_results[row];
        result.tokens.push_back(token);
        const StreamControl control = m_onToken ? m_onToken(row, token) : StreamControl::Continue;
        if (control == StreamControl::StopAll) m_stopAll = true;
        if (auto match = m_stop.check(result.tokens)) {
            result.tokens.resize(match->keptTokens);
            result.text = std::move(match->text);
            return end(row, match->reason);
        }
        if (control != StreamControl::Continue) return end(row, FinishReason::Callback);
        if (static_cast<int64_t>(result.tokens.size()) >= m_config.sampling.maxNewTokens)
            return end(row, FinishReason::Length);
        return true;
    }

    bool end(int64_t row, FinishReason reason)
    {
        GeneratedSequence& result = m_results[row];
        result.reason = reason;
        if (reason != FinishReason::StopText && m_decode) result.text = m_decode(result.tokens);
        m_finished[row] = true;
        return false;
    }

    const GenerationConfig& m_config;
    const TokenCallback& m_onToken; // the caller's, outlives this object
    const Detokenizer& m_decode;    // the caller's, may be empty
    StopCondition m_stop;
    std::vector<GeneratedSequence> m_results; // by prompt index
    std::vector<bool> m_finished;             // by prompt index
    std::vector<int64_t> m_batchRows;         // prompt index of each row of the current batch
    bool m_stopAll = false;
};

std::vector<int64_t> toVector(const at::Tensor& tokens)
{
    const at::Tensor cpu = tokens.to(at::kCPU, at::kLong).contiguous();
    return {cpu.data_ptr<int64_t>(), cpu.data_ptr<int64_t>() + cpu.numel()};
}

} // namespace

std::vector<GeneratedSequence> generate(LogitSource& source,
                                        const std::vector<std::vector<int64_t>>& prompts,
                                        const GenerationConfig& config,
                                        const TokenCallback& onToken, const Detokenizer& decode)
{
    Sampler sampler(config.sampling);
    Generation generation(config, onToken, decode, prompts.size());
    if (prompts.empty()) return {};
    const DecodeInput prompt = leftPaddedBatch(prompts, config.padTokenId);
    if (config.sampling.maxNewTokens <= 0) {
        generation.endRunning(FinishReason::Length);
        return generation.takeResults();
    }

    BatchDecoder decoder(source);
    at::Tensor logits = decoder.prefill(prompt); // (B, vocab)
    // Tokens each row has in its context, for the repetition penalty: (B, vocab) bool.
    at::Tensor seen;
    if (sampler.penalizesRepetition())
        seen = tokenPresence(prompt.tokens, prompt.keyValid, logits.size(1)).to(logits.device());

    while (true) {
        std::vector<int64_t> tokens = toVector(sampler.sample(logits, seen)); // (B)
        const std::vector<int64_t> running = generation.accept(tokens);
        if (running.empty()) break;
        // Finished rows leave the batch through selectRows instead of being fed padding: the
        // model then computes only for live rows, which pays when lengths differ a lot (PPO
        // rollouts); the price is one copy of the cache in a step where some row finishes.
        if (running.size() < tokens.size()) {
            decoder.selectRows(running);
            if (seen.defined())
                seen = seen.index_select(0, at::tensor(running, at::kLong).to(seen.device()));
            std::vector<int64_t> kept;
            for (const int64_t index : running)
                kept.push_back(tokens[index]);
            tokens = std::move(kept);
        }
        if (decoder.room() < 1) {
            generation.endRunning(FinishReason::Length);
            break;
        }
        if (seen.defined()) // (B', vocab): mark each row's new token
            seen.scatter_(1, at::tensor(tokens, at::kLong).view({-1, 1}).to(seen.device()), true);
        logits = decoder.step(tokens); // (B', vocab)
    }
    return generation.takeResults();
}

} // namespace rlhf::gen
