// The real LogitSource: a Transformer with its KV cache, in eval mode and without gradients,
// optionally under bf16 autocast, on the model's device (on a GPU, on a CUDA stream of its own).
// What `rlhf generate`, the demo and the chat arena decode with.
#pragma once

#include "core/gen/logit_source.h"
#include "core/gen/shared_model.h"
#include "core/model/kv_cache.h"
#include "core/model/torch_runtime.h"
#include "core/model/transformer.h"

#include <optional>

namespace rlhf::gen {

class TransformerSource final : public LogitSource {
public:
    // `model` is shared, not copied: training may go on updating the same weights.
    explicit TransformerSource(model::Transformer model, bool bf16 = false);
    // A model shared with other decoders: each forward pass with the view's adapter, under the
    // model's lock.
    explicit TransformerSource(SharedModelView view, bool bf16 = false);

    at::Tensor forward(const DecodeInput& input) override;
    void selectRows(const at::Tensor& rows) override;
    void reset() override { m_cache.clear(); }
    int64_t vocabSize() const override { return m_model->config().vocabSize; }
    int64_t maxPositions() const override { return m_model->config().contextLength; }

    // The shared view this source decodes through, if any.
    const std::optional<SharedModelView>& sharedView() const { return m_view; }

private:
    at::Tensor compute(const DecodeInput& input);

    std::optional<SharedModelView> m_view;
    model::Transformer m_model;
    model::KvCache m_cache;
    bool m_bf16 = false;
    model::SideStream m_stream; // on a GPU: this decoder's own CUDA stream
};

} // namespace rlhf::gen
