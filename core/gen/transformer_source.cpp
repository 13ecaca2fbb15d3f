#include "core/gen/transformer_source.h"

#include "core/compat/torch_compat.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

namespace rlhf::gen {

TransformerSource::TransformerSource(model::Transformer model, bool bf16)
    : m_model(std::move(model)), m_bf16(bf16),
      m_stream(m_model->device().is_cuda() ? m_model->device().index() : -1)
{
}

TransformerSource::TransformerSource(SharedModelView view, bool bf16)
    : TransformerSource(view.handle(), bf16)
{
    m_view = std::move(view);
}

void TransformerSource::selectRows(const at::Tensor& rows)
{
    model::StreamScope onStream(m_stream);
    m_cache.selectRows(rows.to(m_model->device()));
}

at::Tensor TransformerSource::forward(const DecodeInput& input)
{
    if (m_view) return m_view->with([&](model::TransformerImpl&) { return compute(input); });
    return compute(input);
}

at::Tensor TransformerSource::compute(const DecodeInput& input)
{
    at::NoGradGuard noGrad;
    model::StreamScope onStream(m_stream);
    const auto device = m_model->device();
    // One new token of one row on the CPU takes the fp32 matrix-vector path (Transformer's
    // isSingleFloatRow), faster than any bf16 GEMM; autocast would only add its dispatch cost.
    const bool singleRow = device.is_cpu() && input.tokens.numel() == 1;
    compat::Autocast autocast(device.type(), m_bf16 && !singleRow, at::kBFloat16);
    auto positions = input.positions.defined() ? input.positions.to(device) : at::Tensor();
    auto keyValid = input.keyValid.defined() ? input.keyValid.to(device) : at::Tensor();
    auto hidden = m_model->hiddenStates(input.tokens.to(device), &m_cache, positions, keyValid);
    auto last = hidden.select(1, hidden.size(1) - 1).unsqueeze(1);       // (B, 1, dim)
    return m_model->logits(last).squeeze(1).to(at::kFloat).to(at::kCPU); // (B, vocab)
}

} // namespace rlhf::gen
