// Where and in what precision a stage computes: the device (CUDA when present unless told
// otherwise), the thread count, and whether matmuls run under bf16 autocast. bf16 is chosen only
// where it is faster: on CUDA, or on a CPU with AVX-512 BF16 (~5x fp32 here; 40-500x slower
// when emulated). Master weights stay fp32 either way.
#pragma once

#include "core/train/pretrain_config.h"

#include <c10/core/Device.h>

#include <memory>
#include <string>

namespace rlhf::train {

class AutocastScope {
public:
    AutocastScope(c10::Device device, bool enabled);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

struct ComputeSetup {
    c10::Device device = c10::Device(c10::kCPU);
    bool bf16 = false; // matmuls under bf16 autocast
    int threads = 1;   // CPU threads in force

    AutocastScope autocast() const { return AutocastScope(device, bf16); }
    std::string description() const; // e.g. "cpu, 2 threads, bf16 autocast"
};

// `threads` <= 0: all cores. Throws when CUDA is asked for and absent.
ComputeSetup resolveCompute(Device device, Precision precision, int threads);

} // namespace rlhf::train
