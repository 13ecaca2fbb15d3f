// A deterministic causal "LM" for generation tests (shared by test_generation and
// test_beam_search): the logits after a row are a seeded random table entry indexed by the row's
// last two real tokens and its next position modulo `positionPeriod`. Its KV "cache" is each
// row's real-token history, reordered by selectRows. It checks the DecodeInput contract and
// throws std::logic_error when broken: keyValid must repeat the cached mask and extend it by T,
// and every real token's position must be its index in its row. Padding never enters a history.
#pragma once

#include "core/gen/generator.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace rlhf::test_support {

using Tokens = std::vector<int64_t>;

struct TableSourceOptions {
    int64_t maxPositions = 64;  // longest row the source accepts, e.g. 64
    int64_t positionPeriod = 3; // logits also depend on (position % period); 1 = they do not
    float scale = 2.0f;         // standard deviation of the logits, e.g. 2.0
};

class TableSource : public gen::LogitSource {
public:
    TableSource(int64_t vocab, uint64_t seed, TableSourceOptions options = {})
        : m_vocab(vocab), m_options(options),
          m_table(at::randn({vocab + 1, vocab + 1, options.positionPeriod, vocab},
                            at::detail::createCPUGenerator(seed)) *
                  options.scale)
    {
    }

    at::Tensor forward(const gen::DecodeInput& input) override
    {
        const int64_t rows = input.tokens.size(0), length = input.tokens.size(1);
        if (m_keyValid.defined()) {
            expect(rows == m_keyValid.size(0), "row count changed without selectRows");
            expect(input.keyValid.size(1) == m_keyValid.size(1) + length, "keyValid length");
            expect(at::equal(input.keyValid.narrow(1, 0, m_keyValid.size(1)), m_keyValid),
                   "keyValid does not repeat the cached mask");
        } else {
            expect(input.keyValid.size(1) == length, "keyValid length at prefill");
            m_histories.assign(rows, {});
        }
        m_keyValid = input.keyValid.clone();
        m_batchSizes.push_back(rows);
        const at::Tensor newValid =
            input.keyValid.narrow(1, input.keyValid.size(1) - length, length);
        at::Tensor logits = at::empty({rows, m_vocab}); // (B, vocab)
        for (int64_t row = 0; row < rows; ++row) {
            Tokens& history = m_histories[row];
            for (int64_t column = 0; column < length; ++column) {
                if (!newValid[row][column].item<bool>()) continue;
                expect(input.positions[row][column].item<int64_t>() ==
                           static_cast<int64_t>(history.size()),
                       "position of a real token");
                history.push_back(input.tokens[row][column].item<int64_t>());
            }
            logits[row] = logitsAfter(history);
        }
        return logits;
    }

    void selectRows(const at::Tensor& rows) override
    {
        std::vector<Tokens> selected;
        for (int64_t index = 0; index < rows.size(0); ++index)
            selected.push_back(m_histories.at(rows[index].item<int64_t>()));
        m_histories = std::move(selected);
        m_keyValid = m_keyValid.index_select(0, rows);
    }

    void reset() override
    {
        m_histories.clear();
        m_keyValid = at::Tensor();
        m_batchSizes.clear();
    }

    int64_t vocabSize() const override { return m_vocab; }
    int64_t maxPositions() const override { return m_options.maxPositions; }

    // Rows of each forward since reset.
    const std::vector<int64_t>& batchSizes() const { return m_batchSizes; }

    // (vocab) logits after `history`: what forward() returns for a row holding it.
    at::Tensor logitsAfter(const Tokens& history) const
    {
        const auto size = static_cast<int64_t>(history.size());
        const int64_t last = size >= 1 ? history[size - 1] : m_vocab;
        const int64_t beforeLast = size >= 2 ? history[size - 2] : m_vocab;
        return m_table[beforeLast][last][size % m_options.positionPeriod];
    }

private:
    static void expect(bool condition, const char* what)
    {
        if (!condition) throw std::logic_error(std::string("TableSource: ") + what);
    }

    int64_t m_vocab;
    TableSourceOptions m_options;
    at::Tensor m_table; // (vocab + 1, vocab + 1, positionPeriod, vocab); index vocab = no token
    std::vector<Tokens> m_histories;   // real tokens of each cache row
    at::Tensor m_keyValid;             // (B, Tcache) bool, as last fed
    std::vector<int64_t> m_batchSizes; // rows of each forward since reset
};

} // namespace rlhf::test_support
