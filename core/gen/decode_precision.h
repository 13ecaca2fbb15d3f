// The arithmetic a checkpoint decodes in, chosen before it is loaded: `rlhf generate` and
// `rlhf chat` take it from --precision, the studio's chat and arena use autoDecodePrecision().
// Decoding runs on the CPU. Torch-free, so Qt code includes it.
#pragma once

#include <string>

namespace rlhf::gen {

enum class DecodePrecision {
    Float32,  // fp32 everywhere: the same output on every machine
    BFloat16, // matmuls under bf16 autocast, weights fp32: fast only with AVX-512 BF16
};

// What training's precision "auto" picks on the CPU: bf16 where the CPU has AVX-512 BF16
// (~5x fp32 there), else fp32 (emulated bf16 is 40-500x slower).
DecodePrecision autoDecodePrecision();

// Where and how decoding in `precision` runs, with the thread count in force, in the words of
// train::ComputeSetup::description(): e.g. "cpu, 2 threads, bf16 autocast".
std::string decodingDescription(DecodePrecision precision);

} // namespace rlhf::gen
