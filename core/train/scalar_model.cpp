#include "core/train/scalar_model.h"

#include "core/model/tensor_io.h"
#include "core/util/error.h"

#include <ATen/ATen.h>

namespace rlhf::train {

namespace {
constexpr const char* likelihoodName = "score.likelihood_weight";
}

ScalarModel ScalarModel::fromCheckpoint(const std::filesystem::path& folder)
{
    return withBody(model::loadTransformer(folder), folder); // an adapter checkpoint: merged
}

ScalarModel ScalarModel::withBody(model::Transformer body, const std::filesystem::path& folder)
{
    ScalarModel model;
    model.m_body = std::move(body);
    const int64_t dim = model.m_body->config().dim;
    model.m_weight = at::zeros({1, dim});
    model.m_bias = at::zeros({1});
    if (std::filesystem::exists(folder / scalarHeadFile)) {
        for (auto& [name, tensor] : model::readTensors(folder / scalarHeadFile)) {
            if (name == likelihoodName) model.m_likelihoodWeight = at::zeros({1});
            at::Tensor* target = name == "score.weight"   ? &model.m_weight
                                 : name == "score.bias"   ? &model.m_bias
                                 : name == likelihoodName ? &model.m_likelihoodWeight
                                                          : nullptr;
            if (!target)
                throw Error((folder / scalarHeadFile).string() + ": unexpected tensor " + name);
            if (tensor.sizes() != target->sizes())
                throw Error((folder / scalarHeadFile).string() + ": " + name +
                            " has the wrong shape for a model of dim " + std::to_string(dim));
            *target = tensor.to(at::kFloat).contiguous();
        }
    }
    model.m_weight.set_requires_grad(true);
    model.m_bias.set_requires_grad(true);
    if (model.m_likelihoodWeight.defined()) model.m_likelihoodWeight.set_requires_grad(true);
    return model;
}

ScalarModel ScalarModel::withLikelihood(model::Transformer body,
                                        const std::filesystem::path& folder, double weight)
{
    ScalarModel model = withBody(std::move(body), folder);
    if (!model.m_likelihoodWeight.defined())
        model.m_likelihoodWeight = at::full({1}, weight).set_requires_grad(true);
    return model;
}

ScalarModel ScalarModel::onAdapter(model::Transformer body, int adapter,
                                   const std::filesystem::path& folder)
{
    ScalarModel model = withBody(std::move(body), folder);
    model.m_adapter = adapter;
    return model;
}

ScalarModel::AdapterScope::AdapterScope(model::TransformerImpl* body, int adapter)
    : m_body(body), m_before(body ? body->activeAdapter() : -1)
{
    if (m_body) m_body->setActiveAdapter(adapter);
}

ScalarModel::AdapterScope::~AdapterScope()
{
    if (m_body) m_body->setActiveAdapter(m_before);
}

ScalarModel::AdapterScope ScalarModel::active()
{
    return m_adapter ? AdapterScope(m_body.get(), *m_adapter) : AdapterScope(nullptr, -1);
}

at::Tensor ScalarModel::perToken(const at::Tensor& tokens)
{
    const auto hidden = m_body->hiddenStates(tokens, nullptr, {}, {}); // (B, T, dim)
    return at::linear(hidden.to(at::kFloat), m_weight, m_bias).squeeze(-1);
}

at::Tensor ScalarModel::atLastToken(const at::Tensor& tokens, const at::Tensor& lengths)
{
    return headAtLast(m_body->hiddenStates(tokens, nullptr, {}, {}), lengths);
}

at::Tensor ScalarModel::headAtLast(const at::Tensor& hidden, const at::Tensor& lengths) const
{
    const auto last = (lengths - 1)
                          .to(hidden.device())
                          .view({-1, 1, 1})
                          .expand({hidden.size(0), 1, hidden.size(2)});
    const auto final = hidden.gather(1, last).squeeze(1); // (B, dim)
    return at::linear(final.to(at::kFloat), m_weight, m_bias).squeeze(-1);
}

at::Tensor ScalarModel::score(const SequenceBatch& batch, c10::Device device)
{
    const auto tokens = batch.tokens.to(device);
    const auto hidden = m_body->hiddenStates(tokens, nullptr, {}, {}); // (B, T, dim)
    const auto scores = headAtLast(hidden, batch.lengths);
    if (!hasLikelihood()) return scores;
    // Mean log-probability of the reply tokens: (B, T - 1) target log-probs, masked.
    const auto logProbs = targetLogProbs(m_body->logits(hidden), tokens).to(at::kFloat);
    const auto mask = batch.targetMask.to(device).to(at::kFloat);
    const auto meanLogProb = (logProbs * mask).sum(1) / mask.sum(1).clamp_min(1.0);
    return scores + m_likelihoodWeight * meanLogProb;
}

double ScalarModel::likelihoodWeight() const
{
    return hasLikelihood() ? m_likelihoodWeight.item<double>() : 0.0;
}

model::NamedTensors ScalarModel::parameters() const
{
    model::NamedTensors all;
    if (m_adapter)
        all = m_body->adapterTensors(*m_adapter);
    else
        for (const auto& item : m_body->named_parameters())
            all.emplace_back(item.key(), item.value());
    for (auto& item : head())
        all.push_back(std::move(item));
    return all;
}

model::NamedTensors ScalarModel::head() const
{
    model::NamedTensors tensors{{"score.weight", m_weight}, {"score.bias", m_bias}};
    if (hasLikelihood()) tensors.emplace_back(likelihoodName, m_likelihoodWeight);
    return tensors;
}

void ScalarModel::to(const c10::Device& device)
{
    m_body->to(device);
    at::NoGradGuard noGrad;
    m_weight = m_weight.to(device).detach().set_requires_grad(true);
    m_bias = m_bias.to(device).detach().set_requires_grad(true);
    if (hasLikelihood())
        m_likelihoodWeight = m_likelihoodWeight.to(device).detach().set_requires_grad(true);
}

void ScalarModel::train(bool on)
{
    m_body->train(on);
}

void ScalarModel::save(const std::filesystem::path& folder, model::CheckpointContents contents)
{
    model::NamedTensors tensors;
    for (const auto& [name, tensor] : head())
        tensors.emplace_back(name, tensor.detach().cpu());
    contents.tensorFiles.push_back({scalarHeadFile, std::move(tensors)});
    model::saveCheckpoint(folder, *m_body, contents);
}

} // namespace rlhf::train
