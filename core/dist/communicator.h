// Data-parallel communication as the training step sees it: who am I, how many of us, "average
// these gradients", "take rank 0's weights", "take rank k's parameters", "send my shard to rank
// 0", "wait for everyone". One process is the trivial case (LocalCommunicator); the c10d process
// groups (Gloo, NCCL) are in process_group.h.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

namespace rlhf::dist {

// A collective under way: wait() returns once it is done, or throws as a blocking one would.
class PendingReduction {
public:
    virtual ~PendingReduction() = default;
    virtual void wait() = 0;
};

class Communicator {
public:
    virtual ~Communicator() = default;
    virtual int rank() const = 0;
    virtual int worldSize() const = 0;
    // This process among those on its machine: the GPU it trains on (torchrun's LOCAL_RANK).
    virtual int localRank() const = 0;
    // Replaces each tensor by its mean over all ranks, in place.
    virtual void allReduceMean(const std::vector<at::Tensor>& tensors) = 0;
    // Replaces each tensor by rank 0's, in place (initial weights, so all ranks start equal).
    virtual void broadcastFromRankZero(const std::vector<at::Tensor>& tensors) = 0;
    // Replaces each tensor by rank `root`'s, in place, on the tensors' own device (the
    // parameters a rank updated, shared after a sharded optimizer step).
    virtual void broadcast(const std::vector<at::Tensor>& tensors, int root) = 0;
    // Point to point through the CPU: `destination` calls receive() with tensors of the same
    // shapes and dtypes in the same order (a rank's optimizer-state shard, to rank 0 to save).
    virtual void send(const std::vector<at::Tensor>& tensors, int destination) = 0;
    // Fills `tensors` (CPU) with what `source` sent.
    virtual void receive(const std::vector<at::Tensor>& tensors, int source) = 0;
    // Every rank's `tensor` (same shape and dtype on all ranks), in rank order; CPU tensors.
    virtual std::vector<at::Tensor> allGather(const at::Tensor& tensor) = 0;
    // Starts replacing `flat` (contiguous) by its sum over all ranks and returns at once; every
    // rank starts its reductions in the same order (gradient buckets during backward).
    virtual std::unique_ptr<PendingReduction> startAllReduceSum(const at::Tensor& flat) = 0;
    // Returns once every rank has called it (the others wait here while rank 0 saves).
    virtual void barrier() = 0;
};

// The single-process communicator: rank 0 of 1, averaging is the identity.
class LocalCommunicator final : public Communicator {
public:
    int rank() const override { return 0; }
    int worldSize() const override { return 1; }
    int localRank() const override { return 0; }
    void allReduceMean(const std::vector<at::Tensor>&) override {}
    void broadcastFromRankZero(const std::vector<at::Tensor>&) override {}
    void broadcast(const std::vector<at::Tensor>&, int) override {}
    // A single process has no peer: these throw rlhf::Error.
    void send(const std::vector<at::Tensor>& tensors, int destination) override;
    void receive(const std::vector<at::Tensor>& tensors, int source) override;
    std::vector<at::Tensor> allGather(const at::Tensor& tensor) override { return {tensor}; }
    std::unique_ptr<PendingReduction> startAllReduceSum(const at::Tensor& flat) override;
    void barrier() override {}
};

// The mean of each value over all ranks (metrics, loss normalisers); every rank gets the same.
std::vector<double> meanOverRanks(Communicator& communicator, std::vector<double> values);
// The sum of each value over all ranks; every rank gets the same.
std::vector<double> sumOverRanks(Communicator& communicator, std::vector<double> values);
// Every rank's `bytes` (any length), in rank order: rank 0 gathers the others' rollouts.
std::vector<std::string> gatherBytes(Communicator& communicator, const std::string& bytes);

} // namespace rlhf::dist
