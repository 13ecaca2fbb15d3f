// Beam search (see beam_search.h): each step scores every (beam, token) continuation, keeps the
// best numBeams running beams per prompt, files eos continuations as finished hypotheses, and
// reorders the source's cache to the surviving beams.
#include "core/gen/beam_search.h"

#include "core/gen/batch_decoder.h"
#include "core/util/error.h"

// Per-operator headers and Tensor methods (no operators): less compile time than <ATen/ATen.h>.
#include <ATen/core/Tensor.h>
#include <ATen/ops/tensor.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace rlhf::gen {

namespace {

struct Beam {
    std::vector<int64_t> tokens; // generated so far
    double sumLogProb = 0.0;
};

// One prompt's search: its running beams (consecutive rows of the batch, in this order) and its
// best finished hypotheses, best first, at most numBeams of them.
class PromptSearch {
public:
    explicit PromptSearch(const BeamSearchConfig& config) : m_config(config), m_running(1) {}

    const std::vector<Beam>& running() const { return m_running; }
    bool done() const { return m_running.empty(); }

    // logProbs (n, vocab): log p(token | beam) for the n running beams, whose tokens are
    // `length - 1` long. Chooses the next beams and returns, for each, the index of the running
    // beam it continues (empty once the search is done).
    std::vector<int64_t> advance(const at::Tensor& logProbs, int64_t length)
    {
        std::vector<double> sums;
        for (const Beam& beam : m_running)
            sums.push_back(beam.sumLogProb);
        const int64_t vocab = logProbs.size(1);
        const at::Tensor scores = // (n * vocab): sum of log p of each continuation
            logProbs.add(at::tensor(sums, logProbs.options()).view({-1, 1})).reshape(-1);
        const int64_t count = std::min(2 * m_config.numBeams, scores.numel());
        const auto [values, indices] = scores.topk(count); // (count) each, best first
        const at::Tensor valuesCpu = values.to(at::kCPU), indicesCpu = indices.to(at::kCPU);
        const auto value = valuesCpu.accessor<double, 1>();
        const auto index = indicesCpu.accessor<int64_t, 1>();

        std::vector<Beam> next;
        std::vector<int64_t> parents;
        for (int64_t rank = 0; rank < count; ++rank) {
            if (value[rank] == -std::numeric_limits<double>::infinity()) break;
            const int64_t parent = index[rank] / vocab, token = index[rank] % vocab;
            if (isEos(token)) {
                // As in HF: an eos outside the top numBeams candidates is not worth filing.
                if (rank < m_config.numBeams)
                    addHypothesis(m_running[parent].tokens, value[rank], length, FinishReason::Eos);
                continue;
            }
            Beam beam{m_running[parent].tokens, value[rank]};
            beam.tokens.push_back(token);
            next.push_back(std::move(beam));
            parents.push_back(parent);
            if (static_cast<int64_t>(next.size()) == m_config.numBeams) break;
        }
        m_running = std::move(next);
        if (!m_running.empty() && isFinishedEarly(m_running.front().sumLogProb, length))
            m_running.clear();
        return m_running.empty() ? std::vector<int64_t>{} : parents;
    }

    // Ends the search at the length limit: the running beams become hypotheses.
    void finishRunning()
    {
        for (const Beam& beam : m_running)
            addHypothesis(beam.tokens, beam.sumLogProb, static_cast<int64_t>(beam.tokens.size()),
                          FinishReason::Length);
        m_running.clear();
    }

    std::vector<BeamHypothesis> best() const
    {
        const auto count = std::min<size_t>(m_finished.size(), m_config.numReturn);
        return {m_finished.begin(), m_finished.begin() + count};
    }

private:
    bool isEos(int64_t token) const
    {
        const auto& eos = m_config.eosTokenIds;
        return std::find(eos.begin(), eos.end(), token) != eos.end();
    }

    double score(double sumLogProb, int64_t length) const
    {
        return sumLogProb / std::pow(static_cast<double>(length), m_config.lengthPenalty);
    }

    void addHypothesis(const std::vector<int64_t>& tokens, double sumLogProb, int64_t length,
                       FinishReason reason)
    {
        BeamHypothesis hypothesis{tokens, score(sumLogProb, length), sumLogProb, reason};
        if (isFull() && hypothesis.score <= m_finished.back().score) return;
        const auto place = std::upper_bound(
            m_finished.begin(), m_finished.end(), hypothesis.score,
            [](double score, const BeamHypothesis& other) { return score > other.score; });
        m_finished.insert(place, std::move(hypothesis));
        if (static_cast<int64_t>(m_finished.size()) > m_config.numBeams) m_finished.pop_back();
    }

    bool isFull() const { return static_cast<int64_t>(m_finished.size()) >= m_config.numBeams; }

    // Whether no running beam needs to go on, given the best running sum at `length` tokens.
    bool isFinishedEarly(double bestSumLogProb, int64_t length) const
    {
        if (!isFull()) return false;
        const double worst = m_finished.back().score;
        switch (m_config.earlyStopping) {
        case EarlyStopping::WhenFull:
            return true;
        case EarlyStopping::Heuristic:
            return score(bestSumLogProb, length) <= worst;
        case EarlyStopping::Never:
            // Sums only fall; with alpha > 0 the longest length divides them the most.
            return score(bestSumLogProb,
                         m_config.lengthPenalty > 0 ? m_config.maxNewTokens : length) <= worst;
        }
        return false;
    }

    const BeamSearchConfig& m_config;
    std::vector<Beam> m_running;            // starts as one empty beam: the prompt itself
    std::vector<BeamHypothesis> m_finished; // best first, at most numBeams
};

void checkConfig(const BeamSearchConfig& config)
{
    if (config.numBeams < 1)
        throw Error("beam search: numBeams must be >= 1, got " + std::to_string(config.numBeams));
    if (config.numReturn < 1 || config.numReturn > config.numBeams)
        throw Error("beam search: numReturn must be in 1.." + std::to_string(config.numBeams) +
                    ", got " + std::to_string(config.numReturn));
    if (config.maxNewTokens < 1)
        throw Error("beam search: maxNewTokens must be >= 1, got " +
                    std::to_string(config.maxNewTokens));
}

} // namespace

std::vector<std::vector<BeamHypothesis>>
beamSearch(LogitSource& source, const std::vector<std::vector<int64_t>>& prompts,
           const BeamSearchConfig& config)
{
    checkConfig(config);
    if (prompts.empty()) return {};
    std::vector<PromptSearch> searches(prompts.size(), PromptSearch(config));
    BatchDecoder decoder(source);
    at::Tensor logits = decoder.prefill(leftPaddedBatch(prompts, config.padTokenId)); // (B, vocab)

    // The batch holds the running beams of every unfinished prompt, prompt after prompt.
    for (int64_t length = 1;; ++length) {
        const at::Tensor logProbs = logits.to(at::kFloat).log_softmax(1).to(at::kDouble); // (R, V)
        std::vector<int64_t> rows, tokens; // the next batch: source row and new token of each
        int64_t first = 0;                 // this prompt's first row in the batch
        for (PromptSearch& search : searches) {
            if (search.done()) continue;
            const auto beams = static_cast<int64_t>(search.running().size());
            const std::vector<int64_t> parents =
                search.advance(logProbs.narrow(0, first, beams), length);
            for (size_t beam = 0; beam < parents.size(); ++beam) {
                rows.push_back(first + parents[beam]);
                tokens.push_back(search.running()[beam].tokens.back());
            }
            first += beams;
        }
        if (rows.empty()) break;
        if (length == config.maxNewTokens || decoder.room() < 1) {
            for (PromptSearch& search : searches)
                search.finishRunning();
            break;
        }
        decoder.selectRows(rows);
        logits = decoder.step(tokens); // (R', vocab)
    }

    std::vector<std::vector<BeamHypothesis>> results;
    for (const PromptSearch& search : searches)
        results.push_back(search.best());
    return results;
}

} // namespace rlhf::gen
