// LibTorch's process-wide runtime: its intra-op thread count, the CUDA GPUs it sees, their
// memory, and the CUDA settings training wants. LibTorch 1.13 defaults to one thread on Debian,
// and OpenBLAS (OpenMP flavour) follows the same OpenMP pool, so the count is set once,
// deliberately. Lives here, the lowest library that links LibTorch, so that core/util stays
// torch-free; the CUDA calls compile only into a build with CUDA (RLHF_CUDA).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rlhf::model {

// Sets LibTorch's (and OpenMP BLAS's) thread count; `threads` <= 0 means all available cores.
// Returns the count in force afterwards. The first call also has glibc keep freed memory for
// reuse instead of returning it to the kernel at once (see torch_runtime.cpp: +12% per step).
int setComputeThreads(int threads);

// True when LibTorch was built with CUDA and sees at least one GPU.
bool cudaAvailable();

struct GpuInfo {
    int index = 0;
    std::string name;       // e.g. "NVIDIA H200"
    int64_t totalBytes = 0; // its memory
};
// The CUDA GPUs LibTorch sees, in index order; empty on a CPU-only build or machine.
std::vector<GpuInfo> cudaDevices();

// The LibTorch this program runs on, e.g. "2.9.1" or "1.13.0".
std::string libtorchVersion();

// Physical memory of this machine, in bytes.
int64_t hostMemoryBytes();

// What training on a GPU wants: TF32 for fp32 matmuls and convolutions (bf16 autocast
// covers the rest), and, where results must repeat, deterministic kernels (cuBLAS' fixed
// workspace; LibTorch warns about any op that has no deterministic version).
void configureCuda(bool deterministic);

// Peak memory of a device since resetPeakMemory: for GPU `index` (>= 0) the bytes LibTorch's
// caching allocator held at most; for the CPU (index < 0) the process's peak resident set,
// which only grows (resetting does nothing).
void resetPeakMemory(int index);
int64_t peakMemoryBytes(int index);

// A CUDA stream of a decoder's own on GPU `index`, so that decoding in the chat or arena does not
// queue behind a training run's kernels on the same GPU (they share the GPU's time instead).
// Work runs on it inside a StreamScope; for index < 0 or without CUDA both do nothing.
class SideStream {
public:
    explicit SideStream(int index);
    ~SideStream();
    SideStream(SideStream&&) noexcept;
    SideStream& operator=(SideStream&&) noexcept;

private:
    friend class StreamScope;
    struct Stream;
    std::unique_ptr<Stream> m_stream;
};

// While alive, this thread's GPU work runs on `stream`.
class StreamScope {
public:
    explicit StreamScope(const SideStream& stream);
    ~StreamScope();
    StreamScope(const StreamScope&) = delete;
    StreamScope& operator=(const StreamScope&) = delete;

private:
    struct Guard;
    std::unique_ptr<Guard> m_guard;
};

} // namespace rlhf::model
