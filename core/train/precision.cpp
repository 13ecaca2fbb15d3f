#include "core/train/precision.h"

#include "core/compat/torch_compat.h"
#include "core/model/torch_runtime.h"
#include "core/util/cpu_features.h"
#include "core/util/error.h"

#include <ATen/Context.h>

#include <optional>

namespace rlhf::train {

struct AutocastScope::State {
    std::optional<compat::Autocast> autocast;
};

AutocastScope::AutocastScope(c10::Device device, bool enabled) : m_state(std::make_unique<State>())
{
    if (enabled) m_state->autocast.emplace(device.type(), true, at::kBFloat16);
}

AutocastScope::~AutocastScope() = default;

std::string ComputeSetup::description() const
{
    std::string text = device.is_cuda() ? "cuda" : "cpu, " + std::to_string(threads) + " threads";
    return text + (bf16 ? ", bf16 autocast" : ", fp32");
}

ComputeSetup resolveCompute(Device device, Precision precision, int threads)
{
    ComputeSetup setup;
    const bool cudaPresent = at::hasCUDA();
    if (device == Device::Cuda && !cudaPresent)
        throw Error("device \"cuda\" requested but no CUDA GPU is available");
    if (device == Device::Cuda || (device == Device::Auto && cudaPresent))
        setup.device = c10::Device(c10::kCUDA);
    setup.threads = model::setComputeThreads(threads);
    const bool fastBf16 = setup.device.is_cuda() || cpuHasAvx512Bf16();
    setup.bf16 = precision == Precision::BFloat16 || (precision == Precision::Auto && fastBf16);
    return setup;
}

} // namespace rlhf::train
