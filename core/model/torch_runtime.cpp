// Thin calls into ATen's parallel and context settings and, in a CUDA build, c10's CUDA
// allocator and streams.
#include "core/model/torch_runtime.h"

#include "core/util/cpu_features.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#ifdef RLHF_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <optional>

namespace rlhf::model {

namespace {

// glibc hands every freed block above its mmap threshold straight back to the kernel, so each
// training step on the CPU maps, faults in and zeroes its large activations and logits again:
// `perf record` on `rlhf bench pretrain` put ~11% of the step in page faults and page clearing.
// A fixed threshold at glibc's maximum (32 MiB) and a trim threshold past any step's needs keep
// what one step frees for the next. Measured with the same settings as GLIBC_TUNABLES, five
// alternating pairs: bf16 pretraining 4,616-5,512 -> 5,176-5,883 tokens/s (median +12%). The
// price: the process keeps its peak heap until it exits.
void keepFreedMemoryForReuse()
{
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
    });
}

} // namespace

int setComputeThreads(int threads)
{
    keepFreedMemoryForReuse();
    const int count = threads > 0 ? threads : availableCores();
    at::set_num_threads(count);
    return at::get_num_threads();
}

bool cudaAvailable()
{
    return at::hasCUDA();
}

std::vector<GpuInfo> cudaDevices()
{
    std::vector<GpuInfo> devices;
#ifdef RLHF_CUDA
    if (!at::hasCUDA()) return devices;
    for (int i = 0; i < int(at::cuda::device_count()); ++i) {
        const cudaDeviceProp* properties = at::cuda::getDeviceProperties(i);
        devices.push_back({i, properties->name, int64_t(properties->totalGlobalMem)});
    }
#endif
    return devices;
}

std::string libtorchVersion()
{
    return TORCH_VERSION;
}

int64_t hostMemoryBytes()
{
    return int64_t(sysconf(_SC_PHYS_PAGES)) * int64_t(sysconf(_SC_PAGE_SIZE));
}

void configureCuda(bool deterministic)
{
    // cuBLAS repeats its results only with a fixed workspace, set before its first handle.
    if (deterministic) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
    at::globalContext().setAllowTF32CuBLAS(true);
    at::globalContext().setAllowTF32CuDNN(true);
    at::globalContext().setDeterministicAlgorithms(deterministic, /*warn_only=*/true);
}

void resetPeakMemory(int index)
{
#ifdef RLHF_CUDA
    if (index >= 0) {
        // The caching allocator knows the device only after the first allocation there (before
        // it, its statistics calls throw "Invalid device argument").
        at::empty({1}, at::TensorOptions().device(c10::kCUDA, c10::DeviceIndex(index)));
        c10::cuda::CUDACachingAllocator::resetPeakStats(c10::DeviceIndex(index));
    }
#else
    (void)index;
#endif
}

int64_t peakMemoryBytes(int index)
{
#ifdef RLHF_CUDA
    if (index >= 0) {
        at::empty({1}, at::TensorOptions().device(c10::kCUDA, c10::DeviceIndex(index))); // as above
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(c10::DeviceIndex(index));
        return stats.allocated_bytes[0].peak; // [0]: StatType::AGGREGATE, all pools
    }
#else
    (void)index;
#endif
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return int64_t(usage.ru_maxrss) * 1024; // kilobytes on Linux
}

struct SideStream::Stream {
#ifdef RLHF_CUDA
    std::optional<c10::cuda::CUDAStream> stream;
#endif
};

SideStream::SideStream(int index) : m_stream(std::make_unique<Stream>())
{
#ifdef RLHF_CUDA
    if (index >= 0 && at::hasCUDA())
        m_stream->stream = c10::cuda::getStreamFromPool(false, c10::DeviceIndex(index));
#else
    (void)index;
#endif
}

SideStream::~SideStream() = default;
SideStream::SideStream(SideStream&&) noexcept = default;
SideStream& SideStream::operator=(SideStream&&) noexcept = default;

struct StreamScope::Guard {
#ifdef RLHF_CUDA
    std::optional<c10::cuda::CUDAStreamGuard> guard;
#endif
};

StreamScope::StreamScope(const SideStream& stream) : m_guard(std::make_unique<Guard>())
{
#ifdef RLHF_CUDA
    if (stream.m_stream && stream.m_stream->stream)
        m_guard->guard.emplace(*stream.m_stream->stream);
#else
    (void)stream;
#endif
}

StreamScope::~StreamScope() = default;

} // namespace rlhf::model
