// Where and in what arithmetic a checkpoint decodes, chosen before it is loaded: `rlhf
// generate` and `rlhf chat` take it from --device and --precision, the studio's chat and arena
// use autoDecodeSetup(). Torch-free, so Qt code includes it.
#pragma once

#include <string>

namespace rlhf::gen {

enum class DecodePrecision {
    Float32,  // fp32 everywhere: the same output on every machine
    BFloat16, // matmuls under bf16 autocast, weights fp32: fast only with AVX-512 BF16
};

// What "auto" means for decoding on the CPU: fp32. Unlike training (bf16 where the CPU has
// AVX-512 BF16), bf16 autocast decodes slower there: it casts the fp32 weights on every step,
// and decoding is bound by reading them (README, Speed: 0.65-0.8x fp32 at batch 1 and 8).
DecodePrecision autoDecodePrecision();

struct DecodeSetup {
    // A precision alone means the CPU: what every caller before GPUs meant.
    DecodeSetup(DecodePrecision precision = DecodePrecision::Float32, int gpu = -1)
        : precision(precision), gpu(gpu)
    {
    }
    DecodePrecision precision;
    int gpu; // CUDA GPU index; -1: the CPU
};

// GPU 0 in bf16 when there is one (decoding gets a CUDA stream of its own, so it shares the GPU
// with a training run), else the CPU in autoDecodePrecision().
DecodeSetup autoDecodeSetup();

// Where and how decoding runs, with the thread count in force on the CPU, in the words of
// train::ComputeSetup::description(): e.g. "cpu, 2 threads, bf16 autocast", "cuda:0, fp32".
std::string decodingDescription(const DecodeSetup& setup);

} // namespace rlhf::gen
