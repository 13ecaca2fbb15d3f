// LibTorch's process-wide runtime: its intra-op thread count and whether a CUDA GPU is present.
// LibTorch 1.13 defaults to one thread on Debian, and OpenBLAS (OpenMP flavour) follows the same
// OpenMP pool, so the count is set once, deliberately. Lives here, the lowest library that links
// LibTorch, so that core/util stays torch-free.
#pragma once

namespace rlhf::model {

// Sets LibTorch's (and OpenMP BLAS's) thread count; `threads` <= 0 means all available cores.
// Returns the count in force afterwards.
int setComputeThreads(int threads);

// True when LibTorch was built with CUDA and sees at least one GPU.
bool cudaAvailable();

} // namespace rlhf::model
