// The few LibTorch calls that differ between Debian's LibTorch 1.13 and pip LibTorch 2.x.
// Everything version-dependent goes through here; nothing else in the tree tests versions.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace rlhf::compat {

// CPU autocast to `dtype` (bf16): on in this scope, restored on exit.
class CpuAutocast {
public:
    CpuAutocast(bool enabled, at::ScalarType dtype)
    {
#if TORCH_VERSION_MAJOR >= 2
        m_wasEnabled = at::autocast::is_autocast_enabled(at::kCPU);
        m_oldDtype = at::autocast::get_autocast_dtype(at::kCPU);
        at::autocast::set_autocast_enabled(at::kCPU, enabled);
        at::autocast::set_autocast_dtype(at::kCPU, dtype);
#else
        m_wasEnabled = at::autocast::is_cpu_enabled();
        m_oldDtype = at::autocast::get_autocast_cpu_dtype();
        at::autocast::set_cpu_enabled(enabled);
        at::autocast::set_autocast_cpu_dtype(dtype);
#endif
    }
    ~CpuAutocast()
    {
#if TORCH_VERSION_MAJOR >= 2
        at::autocast::set_autocast_enabled(at::kCPU, m_wasEnabled);
        at::autocast::set_autocast_dtype(at::kCPU, m_oldDtype);
#else
        at::autocast::set_cpu_enabled(m_wasEnabled);
        at::autocast::set_autocast_cpu_dtype(m_oldDtype);
#endif
        at::autocast::clear_cache();
    }
    CpuAutocast(const CpuAutocast&) = delete;
    CpuAutocast& operator=(const CpuAutocast&) = delete;

private:
    bool m_wasEnabled = false;
    at::ScalarType m_oldDtype = at::kBFloat16;
};

// CUDA autocast to `dtype`, same shape as CpuAutocast.
class CudaAutocast {
public:
    CudaAutocast(bool enabled, at::ScalarType dtype)
    {
#if TORCH_VERSION_MAJOR >= 2
        m_wasEnabled = at::autocast::is_autocast_enabled(at::kCUDA);
        m_oldDtype = at::autocast::get_autocast_dtype(at::kCUDA);
        at::autocast::set_autocast_enabled(at::kCUDA, enabled);
        at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
        m_wasEnabled = at::autocast::is_enabled();
        m_oldDtype = at::autocast::get_autocast_gpu_dtype();
        at::autocast::set_enabled(enabled);
        at::autocast::set_autocast_gpu_dtype(dtype);
#endif
    }
    ~CudaAutocast()
    {
#if TORCH_VERSION_MAJOR >= 2
        at::autocast::set_autocast_enabled(at::kCUDA, m_wasEnabled);
        at::autocast::set_autocast_dtype(at::kCUDA, m_oldDtype);
#else
        at::autocast::set_enabled(m_wasEnabled);
        at::autocast::set_autocast_gpu_dtype(m_oldDtype);
#endif
        at::autocast::clear_cache();
    }
    CudaAutocast(const CudaAutocast&) = delete;
    CudaAutocast& operator=(const CudaAutocast&) = delete;

private:
    bool m_wasEnabled = false;
    at::ScalarType m_oldDtype = at::kBFloat16;
};

} // namespace rlhf::compat
