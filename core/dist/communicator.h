// Data-parallel communication as the training step sees it: who am I, how many of us, and
// "average these gradients". One process is the trivial case; Gloo/NCCL plug in behind this.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace rlhf::dist {

class Communicator {
public:
    virtual ~Communicator() = default;
    virtual int rank() const = 0;
    virtual int worldSize() const = 0;
    // Replaces each tensor by its mean over all ranks, in place.
    virtual void allReduceMean(const std::vector<at::Tensor>& tensors) = 0;
};

// The single-process communicator: rank 0 of 1, averaging is the identity.
class LocalCommunicator final : public Communicator {
public:
    int rank() const override { return 0; }
    int worldSize() const override { return 1; }
    void allReduceMean(const std::vector<at::Tensor>&) override {}
};

} // namespace rlhf::dist
