// AdamW with decoupled weight decay, written out so its state is plain named tensors that a
// checkpoint stores and a resume restores bit for bit. Norms, biases and embeddings get no decay.
// On LibTorch 2.x the update is its fused kernel (CPU and CUDA); on 1.13 it is written out.
#pragma once

#include "core/model/tensor_io.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rlhf::train {

struct AdamWConfig {
    double beta1 = 0.9;       // first-moment decay, e.g. 0.9
    double beta2 = 0.95;      // second-moment decay, e.g. 0.95 for LMs
    double epsilon = 1e-8;    // denominator guard
    double weightDecay = 0.1; // decoupled decay on matrices, e.g. 0.1
};

using model::NamedTensors;

// True for parameters that get weight decay: matrices other than embeddings.
bool decaysWeight(const std::string& name, const at::Tensor& parameter);

class AdamW {
public:
    AdamW(NamedTensors parameters, AdamWConfig config);

    void step(double learningRate); // one update from the current .grad() of every parameter
    void zeroGrad();                // sets gradients to zero (kept allocated)
    int64_t stepCount() const { return m_steps; }

    // "exp_avg.<name>", "exp_avg_sq.<name>" and "step" (int64 scalar): what a checkpoint stores.
    NamedTensors state() const;
    // Restores state(); throws rlhf::Error naming a missing or mis-shaped tensor.
    void loadState(const NamedTensors& state);

private:
    struct Slot {
        std::string name;
        at::Tensor parameter, expAvg, expAvgSq;
        bool decay = false;
    };
    void fusedStep(double learningRate);
    void plainStep(double learningRate);
    std::vector<Slot> m_slots;
    AdamWConfig m_config;
    int64_t m_steps = 0;
    at::Tensor m_stepTensor; // m_steps for the fused kernel (float, on the parameters' device)
};

// Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before.
double clipGradNorm(const std::vector<at::Tensor>& parameters, double maxNorm);

} // namespace rlhf::train
