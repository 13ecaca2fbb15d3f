// Run-time CPU facts that choose fast paths: core count and AVX-512 BF16 support.
// Torch-free; the thread setting that uses them lives in core/model/torch_runtime.h.
#pragma once

namespace rlhf {

// True when the CPU executes AVX-512 BF16 instructions (oneDNN's bf16 matmul is ~5x fp32 then;
// without them bf16 is emulated and 40-500x slower, so autocast must stay off).
bool cpuHasAvx512Bf16();

// Logical processors available to this process (respects the affinity mask), at least 1.
int availableCores();

} // namespace rlhf
