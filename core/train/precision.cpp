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
    std::string text = device.is_cuda() ? "cuda:" + std::to_string(device.index())
                                        : "cpu, " + std::to_string(threads) + " threads";
    return text + (bf16 ? ", bf16 autocast" : ", fp32");
}

int ComputeSetup::gpu() const
{
    return device.is_cuda() ? device.index() : -1;
}

DeviceChoice deviceForLocalRank(DeviceChoice chosen, int localRank)
{
    if (chosen.kind != Device::Cpu) chosen.gpu += localRank;
    return chosen;
}

ComputeSetup resolveCompute(const DeviceChoice& device, Precision precision, int threads,
                            bool deterministic)
{
    ComputeSetup setup;
    const auto gpus = model::cudaDevices();
    const bool onGpu =
        device.kind == Device::Cuda || (device.kind == Device::Auto && !gpus.empty());
    if (onGpu && device.gpu >= int(gpus.size()))
        throw Error("device \"" + deviceName(device) + "\" requested but " +
                    (gpus.empty() ? std::string("no CUDA GPU is available")
                                  : "only " + std::to_string(gpus.size()) + " CUDA GPU(s) exist"));
    if (onGpu) {
        setup.device = c10::Device(c10::kCUDA, c10::DeviceIndex(device.gpu));
        model::configureCuda(deterministic);
    }
    setup.threads = model::setComputeThreads(threads);
    const bool fastBf16 = setup.device.is_cuda() || cpuHasAvx512Bf16();
    setup.bf16 = precision == Precision::BFloat16 || (precision == Precision::Auto && fastBf16);
    return setup;
}

} // namespace rlhf::train
