#include "core/dist/process_group.h"

#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL // LibTorch built with NCCL (PyPI's CUDA wheels); Debian's has none
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

namespace rlhf::dist {

namespace {

constexpr std::chrono::milliseconds lostPeerProbeTimeout{5'000}; // asking the store who is gone
constexpr std::chrono::milliseconds survivorGrace{3'000}; // for the other survivors to say so

std::string hostName()
{
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    return name;
}

// Whether process `pid` on this machine has exited (gone, or a zombie not yet reaped).
bool processExited(long pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')'); // "pid (name) S ...": the state follows the name
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

std::string messageOf(const std::exception& error)
{
    if (const auto* c10Error = dynamic_cast<const c10::Error*>(&error))
        return c10Error->what_without_backtrace();
    return error.what();
}

std::string peerKey(int rank) // "host\npid" of the rank, set when it joins
{
    return "rlhf/peer/" + std::to_string(rank);
}

std::string survivorKey(int rank) // set by a rank that saw a collective fail
{
    return "rlhf/survivor/" + std::to_string(rank);
}

std::string rankList(const std::vector<int>& ranks)
{
    std::string list = ranks.size() == 1 ? "rank " : "ranks ";
    for (size_t i = 0; i < ranks.size(); ++i)
        list += (i > 0 ? ", " : "") + std::to_string(ranks[i]);
    return list;
}

std::shared_ptr<::gloo::transport::Device> glooDevice(const Rendezvous& job)
{
    if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"))
        return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
    if (job.masterAddress == "127.0.0.1" || job.masterAddress == "localhost")
        return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"); // one machine
    return c10d::ProcessGroupGloo::createDefaultDevice();
}

} // namespace

struct ProcessGroupCommunicator::Groups {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo; // CPU tensors
#ifdef USE_C10D_NCCL
    c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl; // CUDA tensors; made on first use
#endif
    std::string failure; // after one failed collective every later one fails with its message

    // Waits for `work` at most `timeout`: a collective never blocks forever.
    static void finish(const c10::intrusive_ptr<c10d::Work>& work,
                       std::chrono::milliseconds timeout)
    {
        work->wait(timeout);
    }
};

ProcessGroupCommunicator::ProcessGroupCommunicator(const Rendezvous& job,
                                                   ProcessGroupOptions options)
    : m_job(job), m_options(options), m_groups(std::make_unique<Groups>())
{
    const std::string where = "joining " + m_job.masterAddress + ":" +
                              std::to_string(m_job.masterPort) + " as rank " +
                              std::to_string(m_job.rank) + " of " + std::to_string(m_job.worldSize);
    try {
        c10d::TCPStoreOptions storeOptions;
        storeOptions.port = m_job.masterPort;
        storeOptions.isServer = m_job.rank == 0; // rank 0 hosts the store, as torchrun's
        storeOptions.numWorkers = size_t(m_job.worldSize);
        storeOptions.waitWorkers = false; // the process group's own rendezvous waits, timed
        storeOptions.timeout = m_options.timeout;
        m_groups->store = c10::make_intrusive<c10d::TCPStore>(m_job.masterAddress, storeOptions);
        const std::string self = hostName() + "\n" + std::to_string(getpid());
        m_groups->store->set(peerKey(m_job.rank), std::vector<uint8_t>(self.begin(), self.end()));

        auto glooOptions = c10d::ProcessGroupGloo::Options::create(m_options.timeout);
        glooOptions->devices.push_back(glooDevice(m_job));
        m_groups->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
            c10::make_intrusive<c10d::PrefixStore>("gloo", m_groups->store), m_job.rank,
            m_job.worldSize, glooOptions);
    } catch (const std::exception& error) {
        throw Error(where + ": " + messageOf(error));
    }
}

ProcessGroupCommunicator::~ProcessGroupCommunicator() = default;

std::string ProcessGroupCommunicator::lostPeers()
{
    // The store lives in rank 0: when it cannot answer, rank 0 is gone. A peer on this machine
    // whose registered process has exited is lost; every survivor marks itself in the store, and
    // a peer that has not within a grace period stopped answering (hung, or its machine gone).
    c10d::Store& store = *m_groups->store;
    const std::string self = hostName();
    std::vector<int> exited, waiting;
    std::vector<long> exitedPids;
    std::map<int, long> localPid; // peers on this machine: their process
    // A killed peer's sockets close before its process is a zombie, so the failed collective
    // can come first: whether it has exited is asked again through the grace period.
    const auto hasExited = [&](int peer) {
        const auto local = localPid.find(peer);
        if (local == localPid.end() || !processExited(local->second)) return false;
        exited.push_back(peer);
        exitedPids.push_back(local->second);
        return true;
    };
    try {
        store.setTimeout(lostPeerProbeTimeout);
        store.set(survivorKey(m_job.rank), std::vector<uint8_t>{1});
        for (int peer = 0; peer < m_job.worldSize; ++peer) {
            if (peer == m_job.rank) continue;
            const auto bytes = store.get(peerKey(peer));
            std::string host;
            long pid = 0;
            std::istringstream(std::string(bytes.begin(), bytes.end())) >> host >> pid;
            if (host == self) localPid[peer] = pid;
            if (!hasExited(peer)) waiting.push_back(peer);
        }
        const auto deadline = std::chrono::steady_clock::now() + survivorGrace;
        while (!waiting.empty() && std::chrono::steady_clock::now() < deadline) {
            std::erase_if(waiting, [&](int peer) {
                return hasExited(peer) || store.check({survivorKey(peer)});
            });
            if (!waiting.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    } catch (const std::exception&) {
        if (m_job.rank != 0) return "rank 0 (which hosts the rendezvous store) is lost";
    }
    std::string lost;
    if (!exited.empty()) {
        lost = "lost " + rankList(exited) + " (process";
        for (const long pid : exitedPids)
            lost += " " + std::to_string(pid);
        lost += " exited)";
    }
    if (!waiting.empty())
        lost += (lost.empty() ? "" : "; ") + rankList(waiting) +
                " stopped answering (hung, or its machine is gone)";
    return lost.empty() ? "a peer rank failed" : lost;
}

template <typename Body> void ProcessGroupCommunicator::collective(const char* what, Body&& body)
{
    if (!m_groups->failure.empty()) throw Error(m_groups->failure);
    try {
        body();
        return;
    } catch (const std::exception& error) {
        const std::string lost = lostPeers();
        m_groups->failure = std::string(what) + " failed on rank " + std::to_string(m_job.rank) +
                            " of " + std::to_string(m_job.worldSize) + ": " + lost + " (" +
                            messageOf(error) + ")";
        throw Error(m_groups->failure);
    }
}

namespace {

// Consecutive tensors of one device and dtype, flattened into buckets of about `bucketBytes`,
// each handed to `reduce` as one contiguous tensor and copied back (DDP's gradient buckets).
template <typename Reduce>
void forEachBucket(const std::vector<at::Tensor>& tensors, size_t bucketBytes, Reduce&& reduce)
{
    size_t start = 0;
    while (start < tensors.size()) {
        size_t end = start + 1;
        size_t bytes = tensors[start].nbytes();
        while (end < tensors.size() && bytes + tensors[end].nbytes() <= bucketBytes &&
               tensors[end].device() == tensors[start].device() &&
               tensors[end].scalar_type() == tensors[start].scalar_type())
            bytes += tensors[end++].nbytes();
        if (end == start + 1 && tensors[start].is_contiguous()) {
            // A bucket of one tensor (an embedding, most often) is that tensor: no copy in or
            // out, and no bucket-sized allocation at every step.
            at::Tensor whole = tensors[start].view({-1});
            reduce(whole);
            start = end;
            continue;
        }
        std::vector<at::Tensor> flat;
        for (size_t i = start; i < end; ++i)
            flat.push_back(tensors[i].reshape(-1));
        at::Tensor bucket = at::cat(flat); // (total elements,)
        reduce(bucket);
        int64_t offset = 0;
        for (size_t i = start; i < end; ++i) {
            const int64_t count = tensors[i].numel();
            tensors[i].copy_(bucket.narrow(0, offset, count).view_as(tensors[i]));
            offset += count;
        }
        start = end;
    }
}

} // namespace

template <typename Call>
auto ProcessGroupCommunicator::startOnGroupFor(const at::Tensor& bucket, Call&& call)
{
    if (!bucket.is_cuda()) return call(*m_groups->gloo);
#ifdef USE_C10D_NCCL
    if (!m_groups->nccl) {
        auto ncclOptions = c10d::ProcessGroupNCCL::Options::create();
        ncclOptions->timeout = m_options.timeout;
        m_groups->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
            c10::make_intrusive<c10d::PrefixStore>("nccl", m_groups->store), m_job.rank,
            m_job.worldSize, ncclOptions);
    }
    return call(*m_groups->nccl);
#else
    throw Error("CUDA tensors need NCCL, and this LibTorch was built without it");
#endif
}

template <typename Call>
void ProcessGroupCommunicator::onGroupFor(const at::Tensor& bucket, Call&& call)
{
    Groups::finish(startOnGroupFor(bucket, std::forward<Call>(call)), m_options.timeout);
}

namespace {

// An all-reduce under way; waiting goes through the communicator's failure reporting.
class PendingWork final : public PendingReduction {
public:
    PendingWork(c10::intrusive_ptr<c10d::Work> work, std::function<void(c10d::Work&)> wait)
        : m_work(std::move(work)), m_wait(std::move(wait))
    {
    }
    void wait() override
    {
        if (m_work) m_wait(*m_work);
        m_work.reset();
    }

private:
    c10::intrusive_ptr<c10d::Work> m_work;
    std::function<void(c10d::Work&)> m_wait;
};

} // namespace

std::unique_ptr<PendingReduction>
ProcessGroupCommunicator::startAllReduceSum(const at::Tensor& flat)
{
    c10::intrusive_ptr<c10d::Work> work;
    collective("all-reduce", [&] {
        std::vector<at::Tensor> one{flat};
        c10d::AllreduceOptions reduce;
        reduce.timeout = m_options.timeout;
        work = startOnGroupFor(flat, [&](auto& group) { return group.allreduce(one, reduce); });
    });
    return std::make_unique<PendingWork>(std::move(work), [this](c10d::Work& started) {
        collective("all-reduce", [&] { started.wait(m_options.timeout); });
    });
}

void ProcessGroupCommunicator::allReduceMean(const std::vector<at::Tensor>& tensors)
{
    collective("all-reduce", [&] {
        forEachBucket(tensors, m_options.bucketBytes, [&](at::Tensor& bucket) {
            std::vector<at::Tensor> one{bucket};
            c10d::AllreduceOptions reduce;
            reduce.timeout = m_options.timeout;
            onGroupFor(bucket, [&](auto& group) { return group.allreduce(one, reduce); });
            bucket.div_(double(m_job.worldSize));
        });
    });
}

void ProcessGroupCommunicator::broadcastFromRankZero(const std::vector<at::Tensor>& tensors)
{
    // Through the CPU and Gloo: it runs once per run, where simplicity beats speed.
    std::vector<at::Tensor> onCpu;
    for (const at::Tensor& tensor : tensors)
        onCpu.push_back(tensor.detach().to(at::kCPU, /*non_blocking=*/false, /*copy=*/true));
    collective("broadcast", [&] {
        forEachBucket(onCpu, m_options.bucketBytes, [&](at::Tensor& bucket) {
            std::vector<at::Tensor> one{bucket};
            c10d::BroadcastOptions broadcast;
            broadcast.rootRank = 0;
            broadcast.timeout = m_options.timeout;
            Groups::finish(m_groups->gloo->broadcast(one, broadcast), m_options.timeout);
        });
    });
    at::NoGradGuard noGrad;
    for (size_t i = 0; i < tensors.size(); ++i)
        tensors[i].detach().copy_(onCpu[i]);
}

void ProcessGroupCommunicator::broadcast(const std::vector<at::Tensor>& tensors, int root)
{
    at::NoGradGuard noGrad; // the tensors may be parameters: their new values are not a step
    collective("broadcast", [&] {
        forEachBucket(tensors, m_options.bucketBytes, [&](at::Tensor& bucket) {
            std::vector<at::Tensor> one{bucket};
            c10d::BroadcastOptions broadcast;
            broadcast.rootRank = root;
            broadcast.timeout = m_options.timeout;
            onGroupFor(bucket, [&](auto& group) { return group.broadcast(one, broadcast); });
        });
    });
}

// Point to point runs on Gloo alone: it happens at checkpoints, where one copy through the CPU
// costs little, and the receiver keeps what it gets on the CPU anyway.
void ProcessGroupCommunicator::send(const std::vector<at::Tensor>& tensors, int destination)
{
    std::vector<at::Tensor> onCpu;
    for (const at::Tensor& tensor : tensors)
        onCpu.push_back(tensor.detach().to(at::kCPU));
    collective("send", [&] {
        forEachBucket(onCpu, m_options.bucketBytes, [&](at::Tensor& bucket) {
            std::vector<at::Tensor> one{bucket};
            Groups::finish(m_groups->gloo->send(one, destination, /*tag=*/0), m_options.timeout);
        });
    });
}

void ProcessGroupCommunicator::receive(const std::vector<at::Tensor>& tensors, int source)
{
    collective("receive", [&] {
        forEachBucket(tensors, m_options.bucketBytes, [&](at::Tensor& bucket) {
            std::vector<at::Tensor> one{bucket};
            Groups::finish(m_groups->gloo->recv(one, source, /*tag=*/0), m_options.timeout);
        });
    });
}

std::vector<at::Tensor> ProcessGroupCommunicator::allGather(const at::Tensor& tensor)
{
    std::vector<at::Tensor> input{tensor.detach().to(at::kCPU).contiguous()};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int rank = 0; rank < m_job.worldSize; ++rank)
        output[0].push_back(at::empty_like(input[0]));
    collective("all-gather", [&] {
        c10d::AllgatherOptions gather;
        gather.timeout = m_options.timeout;
        Groups::finish(m_groups->gloo->allgather(output, input, gather), m_options.timeout);
    });
    return output[0];
}

void ProcessGroupCommunicator::barrier()
{
    collective("barrier", [&] {
        c10d::BarrierOptions options;
        options.timeout = m_options.timeout;
        Groups::finish(m_groups->gloo->barrier(options), m_options.timeout);
    });
}

} // namespace rlhf::dist
