// LibTorch's intra-op thread count. LibTorch 1.13 defaults to one thread on Debian, and
// OpenBLAS (OpenMP flavour) follows the same OpenMP pool, so this is set once, deliberately.
#pragma once

namespace rlhf {

// Sets LibTorch's (and OpenMP BLAS's) thread count; `threads` <= 0 means all available cores.
// Returns the count in force afterwards.
int setComputeThreads(int threads);

// True when LibTorch was built with CUDA and sees at least one GPU.
bool cudaAvailable();

} // namespace rlhf
