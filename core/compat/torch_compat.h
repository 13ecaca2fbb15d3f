// The few LibTorch calls that differ between Debian's LibTorch 1.13 and pip LibTorch 2.x.
// Everything version-dependent goes through here; nothing else in the tree tests versions.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <optional>
#include <stdexcept>
#include <vector>

#if TORCH_VERSION_MAJOR >= 2
#include <ATen/ops/_fused_adamw.h>
#include <ATen/ops/scaled_dot_product_attention.h>
#endif

namespace rlhf::compat {

// Whether autocast is on for `device` (CPU or CUDA) in this thread.
inline bool autocastEnabled(c10::DeviceType device)
{
#if TORCH_VERSION_MAJOR >= 2
    return at::autocast::is_autocast_enabled(device);
#else
    return device == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled()
                                          : at::autocast::is_enabled();
#endif
}

// The type autocast on `device` (CPU or CUDA) casts to, whether or not it is on.
inline at::ScalarType autocastDtype(c10::DeviceType device)
{
#if TORCH_VERSION_MAJOR >= 2
    return at::autocast::get_autocast_dtype(device);
#else
    return device == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype()
                                          : at::autocast::get_autocast_gpu_dtype();
#endif
}

// Autocast of `device` (CPU or CUDA) to `dtype` (bf16) in this scope; restored on exit.
class Autocast {
public:
    Autocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) : m_device(device)
    {
        m_wasEnabled = isEnabled();
        m_oldDtype = autocastDtype(device);
        set(enabled, dtype);
    }
    ~Autocast()
    {
        set(m_wasEnabled, m_oldDtype);
        at::autocast::clear_cache();
    }
    Autocast(const Autocast&) = delete;
    Autocast& operator=(const Autocast&) = delete;

private:
    bool cpu() const { return m_device == c10::DeviceType::CPU; }
    bool isEnabled() const { return autocastEnabled(m_device); }
#if TORCH_VERSION_MAJOR >= 2
    void set(bool enabled, at::ScalarType dtype)
    {
        at::autocast::set_autocast_enabled(m_device, enabled);
        at::autocast::set_autocast_dtype(m_device, dtype);
    }
#else
    void set(bool enabled, at::ScalarType dtype)
    {
        if (cpu()) {
            at::autocast::set_cpu_enabled(enabled);
            at::autocast::set_autocast_cpu_dtype(dtype);
        } else {
            at::autocast::set_enabled(enabled);
            at::autocast::set_autocast_gpu_dtype(dtype);
        }
    }
#endif

    c10::DeviceType m_device;
    bool m_wasEnabled = false;
    at::ScalarType m_oldDtype = at::kBFloat16;
};

// LibTorch 2.x has fused attention (scaled_dot_product_attention: flash / memory-efficient
// kernels on CUDA, a flash kernel on the CPU) and a fused AdamW (one kernel for every tensor,
// CPU and CUDA). 1.13 has neither in public; callers keep their plain code for it.
#if TORCH_VERSION_MAJOR >= 2
inline constexpr bool hasFusedKernels = true;
#else
inline constexpr bool hasFusedKernels = false;
#endif

// softmax(q k^T / sqrt(headDim) + mask) v over (B, heads, T, headDim) tensors. `keep` (bool,
// broadcastable to (B, heads, T, S), true where a query may see a key) or `causal` (the usual
// lower triangle, for T == S) says what each query sees. Only when hasFusedKernels.
inline at::Tensor fusedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const at::Tensor& keep, bool causal)
{
#if TORCH_VERSION_MAJOR >= 2
    return at::scaled_dot_product_attention(
        q, k, v, keep.defined() ? std::optional<at::Tensor>(keep) : std::nullopt, 0.0, causal);
#else
    (void)q, (void)k, (void)v, (void)keep, (void)causal;
    throw std::logic_error("fused attention needs LibTorch 2.x");
#endif
}

// One AdamW step over tensors that share the hyperparameters (decoupled weight decay, bias
// correction from `steps`, a float tensor per parameter). Only when hasFusedKernels.
struct FusedAdamWStep {
    double lr, beta1, beta2, weightDecay, epsilon;
};
inline void fusedAdamW(const std::vector<at::Tensor>& parameters,
                       const std::vector<at::Tensor>& grads, const std::vector<at::Tensor>& expAvgs,
                       const std::vector<at::Tensor>& expAvgSqs,
                       const std::vector<at::Tensor>& steps, const FusedAdamWStep& hp)
{
#if TORCH_VERSION_MAJOR >= 2
    at::_fused_adamw_(parameters, grads, expAvgs, expAvgSqs, {}, steps, hp.lr, hp.beta1, hp.beta2,
                      hp.weightDecay, hp.epsilon, /*amsgrad=*/false, /*maximize=*/false);
#else
    (void)parameters, (void)grads, (void)expAvgs, (void)expAvgSqs, (void)steps, (void)hp;
    throw std::logic_error("fused AdamW needs LibTorch 2.x");
#endif
}

} // namespace rlhf::compat
