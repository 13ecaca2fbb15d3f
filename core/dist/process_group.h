// The data-parallel communicator over PyTorch's own c10d: a TCPStore rendezvous hosted by rank 0,
// ProcessGroupGloo for CPU tensors and ProcessGroupNCCL for CUDA tensors (where LibTorch has it).
// Gradients are averaged in flat buckets of about 25 MB as DDP does. Every collective has a
// timeout: a rank that dies or hangs makes the others throw an error naming it, never hang.
#pragma once

#include "core/dist/communicator.h"
#include "core/dist/rendezvous.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace rlhf::dist {

struct ProcessGroupOptions {
    std::chrono::milliseconds timeout{60'000}; // rendezvous and each collective, e.g. 60 s
    size_t bucketBytes = 25u << 20;            // gradients averaged per flat bucket (DDP: 25 MB)
};

class ProcessGroupCommunicator final : public Communicator {
public:
    // Joins the job: connects to (rank 0: hosts) the store and meets every other rank. Throws
    // rlhf::Error when they do not all arrive within the timeout.
    ProcessGroupCommunicator(const Rendezvous& job, ProcessGroupOptions options = {});
    ~ProcessGroupCommunicator() override;
    ProcessGroupCommunicator(const ProcessGroupCommunicator&) = delete;
    ProcessGroupCommunicator& operator=(const ProcessGroupCommunicator&) = delete;

    int rank() const override { return m_job.rank; }
    int worldSize() const override { return m_job.worldSize; }
    int localRank() const override { return m_job.localRank; }
    const Rendezvous& job() const { return m_job; }

    void allReduceMean(const std::vector<at::Tensor>& tensors) override;
    void broadcastFromRankZero(const std::vector<at::Tensor>& tensors) override;
    void broadcast(const std::vector<at::Tensor>& tensors, int root) override;
    void send(const std::vector<at::Tensor>& tensors, int destination) override;
    void receive(const std::vector<at::Tensor>& tensors, int source) override;
    std::vector<at::Tensor> allGather(const at::Tensor& tensor) override;
    std::unique_ptr<PendingReduction> startAllReduceSum(const at::Tensor& flat) override;
    void barrier() override;

private:
    struct Groups; // the store and the c10d process groups, kept out of this header
    // Runs one collective; a failure becomes an rlhf::Error naming the lost rank when it can.
    template <typename Body> void collective(const char* what, Body&& body);
    // Starts `call` on the process group for `bucket`'s device (Gloo for the CPU, NCCL for
    // CUDA) and waits for it at most the timeout.
    template <typename Call> void onGroupFor(const at::Tensor& bucket, Call&& call);
    // Starts `call` there and returns its work without waiting.
    template <typename Call> auto startOnGroupFor(const at::Tensor& bucket, Call&& call);
    // After a failed collective: which ranks are gone, in words ("lost rank 1 (process 4242
    // exited)", "rank 2 stopped answering ...").
    std::string lostPeers();

    Rendezvous m_job;
    ProcessGroupOptions m_options;
    std::unique_ptr<Groups> m_groups;
};

} // namespace rlhf::dist
