// LoRA adapters (Hu et al., 2021) on a Transformer's linear layers, as PEFT defines them, so an
// adapter trained here loads in PEFT and one made there loads here:
//
//     y = W x + b + scaling * B (A dropout(x))          A: (rank, in), B: (out, rank)
//
// with scaling = alpha / rank, or alpha / sqrt(rank) with rsLoRA (Kalajdzievski, 2023). DoRA
// (Liu et al., 2024) adds a learned magnitude per output feature and normalises the adapted
// weight's rows: y = m / ||W + scaling B A||_row (W x + scaling B A x) + b, the norm detached
// from the gradient as the paper and PEFT do. The base weights stay frozen; A, B (and m) are
// what trains, in fp32.
#pragma once

#include "core/model/lora_config.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rlhf::model {

// One adapter on one linear layer.
struct LoraWeights {
    at::Tensor a;         // (rank, in): lora_A.weight
    at::Tensor b;         // (out, rank): lora_B.weight
    at::Tensor magnitude; // (out): DoRA's lora_magnitude_vector; undefined without DoRA
    double scaling = 1.0;
    double dropout = 0.0;
};

// A fresh adapter for a layer of `in` -> `out` features, as PEFT initialises one: A
// Kaiming-uniform (a = sqrt(5), nn.Linear's default), B zeros, so the adapted model starts as
// the base. `denseWeight` (out, in) gives DoRA's magnitude its start, the rows' norms.
LoraWeights initLora(const LoraConfig& config, int64_t in, int64_t out, at::Generator& generator,
                     const at::Tensor& denseWeight);

// The layer's output with the adapter: `result` is the base's W x + b for input `x` (..., in);
// `bias` that b (or undefined); `denseWeight` returns W as (out, in) in the compute dtype, which
// only DoRA asks for. `dropoutGenerator` draws the dropout mask (training with dropout only).
at::Tensor addLora(const LoraWeights& lora, const at::Tensor& x, const at::Tensor& result,
                   const at::Tensor& bias, const std::function<at::Tensor()>& denseWeight,
                   bool training, at::Generator* dropoutGenerator);

// scaling * B A, (out, in): what merging adds to the base weight (DoRA: the merged weight is
// m / ||W + delta||_row * (W + delta) instead; mergedWeight gives either).
at::Tensor loraDelta(const LoraWeights& lora);
at::Tensor mergedWeight(const LoraWeights& lora, const at::Tensor& denseWeight);

} // namespace rlhf::model
