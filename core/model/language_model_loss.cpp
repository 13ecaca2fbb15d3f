#include "core/model/language_model_loss.h"

#include "core/compat/torch_compat.h"
#include "core/model/transformer.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

namespace rlhf::model {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows per chunk: about 2M logits at a time on the CPU (8 MB in fp32, which stays in the
// cache while the chunk is worked on), 32M on a GPU (few kernel launches).
int64_t chunkRows(int64_t vocab, const c10::Device& device)
{
    const int64_t logits = device.is_cuda() ? int64_t(1) << 25 : int64_t(1) << 21;
    return std::max<int64_t>(16, logits / vocab);
}

struct ChunkedResult {
    at::Tensor loss, gradHidden, gradWeight; // gradients undefined where not asked for
};

ChunkedResult chunkedLoss(const at::Tensor& hidden, const at::Tensor& weight,
                          const at::Tensor& targets, const at::Tensor& rowWeights, bool wantHidden,
                          bool wantWeight)
{
    TORCH_CHECK(hidden.dim() == 2 && weight.dim() == 2 && hidden.size(1) == weight.size(1),
                "linearCrossEntropy: hidden ", hidden.sizes(), " and weight ", weight.sizes(),
                " do not multiply");
    TORCH_CHECK(targets.dim() == 1 && targets.size(0) == hidden.size(0),
                "linearCrossEntropy: ", hidden.size(0), " rows but targets ", targets.sizes());
    TORCH_CHECK(!rowWeights.defined() || rowWeights.sizes() == targets.sizes(),
                "linearCrossEntropy: row weights ", rowWeights.sizes(), " for targets ",
                targets.sizes());
    const auto device = hidden.device().type();
    const at::ScalarType type =
        compat::autocastEnabled(device) ? compat::autocastDtype(device) : hidden.scalar_type();
    const at::Tensor h = hidden.to(type), w = weight.to(type); // (N, dim), (V, dim)
    const int64_t N = h.size(0), rows = chunkRows(w.size(0), hidden.device());

    ChunkedResult result;
    result.loss = at::zeros({}, hidden.options().dtype(at::kFloat));
    if (wantHidden) result.gradHidden = at::empty_like(hidden);
    if (wantWeight) result.gradWeight = at::zeros_like(weight, at::kFloat); // summed over chunks
    for (int64_t start = 0; start < N; start += rows) {
        const int64_t n = std::min(rows, N - start);
        const at::Tensor hc = h.narrow(0, start, n);
        const at::Tensor tc = targets.narrow(0, start, n).unsqueeze(1);          // (n, 1)
        at::Tensor logProbs = at::log_softmax(at::mm(hc, w.t()), 1, at::kFloat); // (n, V)
        const at::Tensor nll = logProbs.gather(1, tc).squeeze(1).neg();          // (n)
        const at::Tensor wc = rowWeights.defined() ? rowWeights.narrow(0, start, n) : at::Tensor();
        result.loss += wc.defined() ? (nll * wc).sum() : nll.sum();
        if (!wantHidden && !wantWeight) continue;

        // d loss / d logits = rowWeight * (softmax - onehot(target)), in place of the log-probs.
        at::Tensor grad = logProbs.exp_();
        grad.scatter_add_(1, tc, at::full({n, 1}, -1.0f, grad.options()));
        if (wc.defined()) grad.mul_(wc.unsqueeze(1).to(at::kFloat));
        const at::Tensor g = grad.to(type);
        if (wantHidden) result.gradHidden.narrow(0, start, n).copy_(at::mm(g, w));
        if (wantWeight) result.gradWeight.add_(at::mm(g.t(), hc));
    }
    if (wantWeight) result.gradWeight = result.gradWeight.to(weight.scalar_type());
    return result;
}

class LinearCrossEntropy : public torch::autograd::Function<LinearCrossEntropy> {
public:
    // Runs with gradients off; computes the loss and, at once, its gradients.
    static at::Tensor forward(AutogradContext* context, const at::Tensor& hidden,
                              const at::Tensor& weight, const at::Tensor& targets,
                              const c10::optional<at::Tensor>& rowWeights, bool wantHidden,
                              bool wantWeight)
    {
        ChunkedResult result =
            chunkedLoss(hidden, weight, targets, rowWeights ? *rowWeights : at::Tensor(),
                        wantHidden, wantWeight);
        context->save_for_backward({result.gradHidden, result.gradWeight});
        return result.loss;
    }

    static variable_list backward(AutogradContext* context, variable_list outputGrads)
    {
        const variable_list saved = context->get_saved_variables();
        const at::Tensor& scale = outputGrads[0]; // d(whatever follows) / d loss, a scalar
        variable_list grads(6); // one per forward argument: hidden, weight, the rest none
        for (size_t i = 0; i < 2; ++i)
            if (saved[i].defined()) grads[i] = saved[i] * scale.to(saved[i].scalar_type());
        return grads;
    }
};

} // namespace

at::Tensor linearCrossEntropy(const at::Tensor& hidden, const at::Tensor& weight,
                              const at::Tensor& targets, const at::Tensor& rowWeights)
{
    if (!at::GradMode::is_enabled() || (!hidden.requires_grad() && !weight.requires_grad()))
        return chunkedLoss(hidden, weight, targets, rowWeights, false, false).loss;
    // An optional, so that autograd does not take undefined row weights for an input.
    const c10::optional<at::Tensor> weights =
        rowWeights.defined() ? c10::optional<at::Tensor>(rowWeights) : c10::nullopt;
    return LinearCrossEntropy::apply(hidden, weight, targets, weights, hidden.requires_grad(),
                                     weight.requires_grad());
}

at::Tensor nextTokenLoss(TransformerImpl& model, const at::Tensor& windows)
{
    const int64_t B = windows.size(0), T = windows.size(1) - 1;
    const auto hidden = model.hiddenStates(windows.narrow(1, 0, T), nullptr, {}, {}); // (B, T, dim)
    return linearCrossEntropy(hidden.reshape({B * T, -1}), model.outputWeight(),
                              windows.narrow(1, 1, T).reshape(-1)) /
           double(B * T);
}

} // namespace rlhf::model
