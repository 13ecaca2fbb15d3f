// Where and in what precision a stage computes: the device (CUDA when present unless told
// otherwise), the thread count, and whether matmuls run under bf16 autocast. bf16 is chosen only
// where it is faster: on CUDA, or on a CPU with AVX-512 BF16 (~5x fp32 here; 40-500x slower
// when emulated). Master weights stay fp32 either way.
#pragma once

#include "core/train/training_options.h"

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
    std::string description() const; // e.g. "cpu, 2 threads, bf16 autocast", "cuda:0, ..."
    int gpu() const;                 // the GPU's index, -1 on the CPU
};

// The device of the process `localRank` on its machine in a data-parallel job: one GPU each,
// counted from the chosen one (torchrun's LOCAL_RANK 1 of "cuda" or "auto" takes GPU 1); the
// CPU stays the CPU.
DeviceChoice deviceForLocalRank(DeviceChoice chosen, int localRank);

// `threads` <= 0: all cores. Throws when a GPU is asked for and absent. On a GPU it also sets
// TF32 and, with `deterministic`, kernels that repeat their results (model::configureCuda).
ComputeSetup resolveCompute(const DeviceChoice& device, Precision precision, int threads,
                            bool deterministic = false);

} // namespace rlhf::train
