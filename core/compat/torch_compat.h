// The few LibTorch calls that differ between Debian's LibTorch 1.13 and pip LibTorch 2.x.
// Everything version-dependent goes through here; nothing else in the tree tests versions.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/version.h>

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

// Autocast of `device` (CPU or CUDA) to `dtype` (bf16) in this scope; restored on exit.
class Autocast {
public:
    Autocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) : m_device(device)
    {
        m_wasEnabled = isEnabled();
        m_oldDtype = currentDtype();
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
    at::ScalarType currentDtype() const
    {
        return at::autocast::get_autocast_dtype(m_device);
    }
    void set(bool enabled, at::ScalarType dtype)
    {
        at::autocast::set_autocast_enabled(m_device, enabled);
        at::autocast::set_autocast_dtype(m_device, dtype);
    }
#else
    at::ScalarType currentDtype() const
    {
        return cpu() ? at::autocast::get_autocast_cpu_dtype()
                     : at::autocast::get_autocast_gpu_dtype();
    }
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

} // namespace rlhf::compat
