// Left-padded batch bookkeeping around a LogitSource (see batch_decoder.h).
#include "core/gen/batch_decoder.h"

#include "core/util/error.h"

// Per-operator headers: less compile time than <ATen/ATen.h>.
#include <ATen/core/Tensor.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/full.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <algorithm>
#include <string>
#include <utility>

namespace rlhf::gen {

DecodeInput leftPaddedBatch(const std::vector<std::vector<int64_t>>& prompts, int64_t padTokenId)
{
    const auto batchSize = static_cast<int64_t>(prompts.size());
    int64_t longest = 0;
    for (const auto& prompt : prompts) {
        if (prompt.empty()) throw Error("generation: a prompt has no tokens");
        longest = std::max(longest, static_cast<int64_t>(prompt.size()));
    }
    DecodeInput input;
    input.tokens = at::full({batchSize, longest}, padTokenId, at::kLong); // (B, L)
    input.positions = at::zeros({batchSize, longest}, at::kLong);         // (B, L)
    input.keyValid = at::zeros({batchSize, longest}, at::kBool);          // (B, L)
    auto tokens = input.tokens.accessor<int64_t, 2>();
    auto positions = input.positions.accessor<int64_t, 2>();
    auto valid = input.keyValid.accessor<bool, 2>();
    for (int64_t row = 0; row < batchSize; ++row) {
        const auto& prompt = prompts[row];
        const int64_t padding = longest - static_cast<int64_t>(prompt.size());
        for (int64_t column = padding; column < longest; ++column) {
            tokens[row][column] = prompt[column - padding];
            positions[row][column] = column - padding;
            valid[row][column] = true;
        }
    }
    return input;
}

at::Tensor BatchDecoder::prefill(const DecodeInput& prefill)
{
    const int64_t length = prefill.tokens.size(1);
    if (length > m_source.maxPositions())
        throw Error("generation: a prompt of " + std::to_string(length) +
                    " tokens does not fit the model's context of " +
                    std::to_string(m_source.maxPositions()));
    m_source.reset();
    m_keyValid = prefill.keyValid;
    m_rowLengths.assign(prefill.tokens.size(0), 0);
    const at::Tensor lengths = prefill.keyValid.sum(1).contiguous(); // (B) int64
    const auto realTokens = lengths.accessor<int64_t, 1>();
    for (int64_t row = 0; row < rows(); ++row)
        m_rowLengths[row] = realTokens[row];
    return m_source.forward(prefill);
}

at::Tensor BatchDecoder::step(const std::vector<int64_t>& tokens)
{
    TORCH_CHECK(static_cast<int64_t>(tokens.size()) == rows(),
                "BatchDecoder::step: ", tokens.size(), " tokens for ", rows(), " rows");
    TORCH_CHECK(room() >= 1, "BatchDecoder::step: the cache is full");
    DecodeInput input;
    input.tokens = at::tensor(tokens, at::kLong).view({rows(), 1});          // (B, 1)
    input.positions = at::tensor(m_rowLengths, at::kLong).view({rows(), 1}); // (B, 1)
    m_keyValid = at::cat({m_keyValid, at::ones({rows(), 1}, at::kBool)}, 1); // (B, Tcache + 1)
    input.keyValid = m_keyValid;
    for (auto& length : m_rowLengths)
        ++length;
    return m_source.forward(input);
}

void BatchDecoder::selectRows(const std::vector<int64_t>& rows)
{
    const at::Tensor index = at::tensor(rows, at::kLong); // (B')
    m_source.selectRows(index);
    m_keyValid = m_keyValid.index_select(0, index); // (B', Tcache)
    std::vector<int64_t> lengths;
    lengths.reserve(rows.size());
    for (const int64_t row : rows)
        lengths.push_back(m_rowLengths.at(row));
    m_rowLengths = std::move(lengths);
}

} // namespace rlhf::gen
