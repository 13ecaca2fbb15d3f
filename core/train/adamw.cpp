#include "core/train/adamw.h"

#include "core/compat/torch_compat.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>
#include <map>

namespace rlhf::train {

bool decaysWeight(const std::string& name, const at::Tensor& parameter)
{
    const bool embedding = name.find("wte") != std::string::npos ||
                           name.find("wpe") != std::string::npos ||
                           name.find("embed_tokens") != std::string::npos;
    return parameter.dim() >= 2 && !embedding;
}

AdamW::AdamW(NamedTensors parameters, AdamWConfig config) : m_config(config)
{
    for (auto& [name, parameter] : parameters) {
        Slot slot;
        slot.name = name;
        slot.parameter = parameter;
        slot.expAvg = at::zeros_like(parameter);
        slot.expAvgSq = at::zeros_like(parameter);
        slot.decay = decaysWeight(name, parameter);
        m_slots.push_back(std::move(slot));
    }
}

void AdamW::step(double learningRate)
{
    at::NoGradGuard noGrad;
    ++m_steps;
    if constexpr (compat::hasFusedKernels)
        fusedStep(learningRate);
    else
        plainStep(learningRate);
}

// LibTorch 2.x: one fused kernel per group (decayed, not decayed) instead of six ops per tensor;
// on a GPU that is two kernel launches instead of hundreds.
void AdamW::fusedStep(double learningRate)
{
    struct Group {
        std::vector<at::Tensor> parameters, grads, expAvgs, expAvgSqs, steps;
    } groups[2];
    for (Slot& slot : m_slots) {
        const at::Tensor& grad = slot.parameter.grad();
        if (!grad.defined()) continue;
        if (!m_stepTensor.defined() || m_stepTensor.device() != slot.parameter.device())
            m_stepTensor = at::zeros({}, slot.parameter.options().dtype(at::kFloat));
        Group& group = groups[slot.decay ? 1 : 0];
        group.parameters.push_back(slot.parameter);
        group.grads.push_back(grad);
        group.expAvgs.push_back(slot.expAvg);
        group.expAvgSqs.push_back(slot.expAvgSq);
        group.steps.push_back(m_stepTensor); // one count for all: the kernel only reads it
    }
    if (m_stepTensor.defined()) m_stepTensor.fill_(double(m_steps));
    for (int decay = 0; decay < 2; ++decay) {
        const Group& group = groups[decay];
        if (group.parameters.empty()) continue;
        compat::fusedAdamW(group.parameters, group.grads, group.expAvgs, group.expAvgSqs,
                           group.steps,
                           {learningRate, m_config.beta1, m_config.beta2,
                            decay ? m_config.weightDecay : 0.0, m_config.epsilon});
    }
}

// LibTorch 1.13: the update written out per tensor.
void AdamW::plainStep(double learningRate)
{
    const double correction1 = 1.0 - std::pow(m_config.beta1, double(m_steps));
    const double correction2 = 1.0 - std::pow(m_config.beta2, double(m_steps));
    const double stepSize = learningRate / correction1;
    for (Slot& slot : m_slots) {
        const at::Tensor& grad = slot.parameter.grad();
        if (!grad.defined()) continue;
        if (slot.decay) slot.parameter.mul_(1.0 - learningRate * m_config.weightDecay);
        slot.expAvg.mul_(m_config.beta1).add_(grad, 1.0 - m_config.beta1);
        slot.expAvgSq.mul_(m_config.beta2).addcmul_(grad, grad, 1.0 - m_config.beta2);
        auto denominator = (slot.expAvgSq / correction2).sqrt_().add_(m_config.epsilon);
        slot.parameter.addcdiv_(slot.expAvg, denominator, -stepSize);
    }
}

void AdamW::zeroGrad()
{
    for (Slot& slot : m_slots) {
        at::Tensor grad = slot.parameter.mutable_grad();
        if (grad.defined()) grad.zero_();
    }
}

NamedTensors AdamW::state() const
{
    NamedTensors state;
    state.emplace_back("step", at::scalar_tensor(m_steps, at::kLong));
    for (const Slot& slot : m_slots) {
        state.emplace_back("exp_avg." + slot.name, slot.expAvg);
        state.emplace_back("exp_avg_sq." + slot.name, slot.expAvgSq);
    }
    return state;
}

void AdamW::loadState(const NamedTensors& state)
{
    std::map<std::string, at::Tensor> byName(state.begin(), state.end());
    auto take = [&](const std::string& name, const at::Tensor& like) {
        auto found = byName.find(name);
        if (found == byName.end()) throw Error("optimizer state: tensor '" + name + "' is missing");
        if (found->second.sizes() != like.sizes())
            throw Error("optimizer state: tensor '" + name + "' has the wrong shape");
        return found->second.to(like.options()).clone();
    };
    auto step = byName.find("step");
    if (step == byName.end()) throw Error("optimizer state: tensor 'step' is missing");
    m_steps = step->second.item<int64_t>();
    for (Slot& slot : m_slots) {
        slot.expAvg = take("exp_avg." + slot.name, slot.parameter);
        slot.expAvgSq = take("exp_avg_sq." + slot.name, slot.parameter);
    }
}

double clipGradNorm(const std::vector<at::Tensor>& parameters, double maxNorm)
{
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> norms;
    for (const auto& parameter : parameters)
        if (parameter.grad().defined()) norms.push_back(parameter.grad().norm(2).to(at::kFloat));
    if (norms.empty()) return 0.0;
    const double total = at::stack(norms).norm(2).item<double>();
    if (maxNorm > 0 && total > maxNorm) {
        const double scale = maxNorm / (total + 1e-6);
        for (const auto& parameter : parameters)
            if (parameter.grad().defined()) parameter.grad().mul_(scale);
    }
    return total;
}

} // namespace rlhf::train
