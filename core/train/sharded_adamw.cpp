#include "core/train/sharded_adamw.h"

#include "core/dist/communicator.h"
#include "core/model/safetensors.h"
#include "core/util/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>

namespace rlhf::train {

namespace {

// Bytes of AdamW's two moments for `parameter` (each the parameter's shape and dtype).
int64_t momentBytes(const at::Tensor& parameter)
{
    return 2 * int64_t(parameter.nbytes());
}

std::string megabytes(int64_t bytes)
{
    char text[32];
    std::snprintf(text, sizeof(text), "%.2f MB", double(bytes) / 1e6);
    return text;
}

NamedTensors ownedBy(const NamedTensors& parameters, const std::vector<int>& owners, int rank)
{
    NamedTensors owned;
    for (size_t i = 0; i < parameters.size(); ++i)
        if (owners[i] == rank) owned.push_back(parameters[i]);
    return owned;
}

// The tensors of `file` named in `names`, owned copies on the CPU; names it lacks are left out
// (AdamW::loadState names the missing one). The rest of the file is never read.
NamedTensors readNamedTensors(const std::filesystem::path& file,
                              const std::vector<std::string>& names)
{
    const model::SafetensorsFile source(file);
    NamedTensors tensors;
    for (const std::string& name : names) {
        if (!source.contains(name)) continue;
        const model::TensorView view = source.tensor(name);
        const auto type = model::toScalarType(view.dtype);
        if (!type)
            throw Error(file.string() + ": tensor '" + name + "': dtype " +
                        std::string(model::dtypeName(view.dtype)) +
                        " is not supported by LibTorch here");
        at::Tensor tensor = at::empty(view.shape, at::TensorOptions().dtype(*type));
        std::memcpy(tensor.data_ptr(), view.bytes.data(), view.bytes.size()); // may be unaligned
        tensors.emplace_back(name, std::move(tensor));
    }
    return tensors;
}

} // namespace

std::vector<int> partitionByElements(const NamedTensors& parameters, int ranks)
{
    std::vector<size_t> largestFirst(parameters.size());
    std::iota(largestFirst.begin(), largestFirst.end(), size_t(0));
    std::stable_sort(largestFirst.begin(), largestFirst.end(), [&](size_t a, size_t b) {
        return parameters[a].second.numel() > parameters[b].second.numel();
    });
    std::vector<int64_t> elements(size_t(ranks), 0);
    std::vector<int> owners(parameters.size(), 0);
    for (const size_t index : largestFirst) {
        const auto lightest = std::min_element(elements.begin(), elements.end());
        owners[index] = int(lightest - elements.begin());
        *lightest += parameters[index].second.numel();
    }
    return owners;
}

ShardedAdamW::ShardedAdamW(NamedTensors parameters, AdamWConfig config,
                           dist::Communicator& communicator, StateSharding sharding)
    : m_parameters(std::move(parameters)),
      m_owners(sharding == StateSharding::Sharded
                   ? partitionByElements(m_parameters, communicator.worldSize())
                   : std::vector<int>(m_parameters.size(), communicator.rank())),
      m_communicator(communicator),
      m_sharded(sharding == StateSharding::Sharded && communicator.worldSize() > 1),
      m_own(ownedBy(m_parameters, m_owners, communicator.rank()), config)
{
}

std::vector<at::Tensor> ShardedAdamW::parametersOwnedBy(int rank) const
{
    std::vector<at::Tensor> owned;
    for (size_t i = 0; i < m_parameters.size(); ++i)
        // A frozen parameter never changes: there is nothing of it to share.
        if (m_owners[i] == rank && m_parameters[i].second.requires_grad())
            owned.push_back(m_parameters[i].second);
    return owned;
}

void ShardedAdamW::step(double learningRate)
{
    m_own.step(learningRate);
    if (!m_sharded) return;
    // Each owner's updated parameters to all ranks, in ~25 MB buckets (the communicator's).
    for (int owner = 0; owner < m_communicator.worldSize(); ++owner) {
        const std::vector<at::Tensor> owned = parametersOwnedBy(owner);
        if (!owned.empty()) m_communicator.broadcast(owned, owner);
    }
}

void ShardedAdamW::zeroGrad()
{
    for (auto& [name, parameter] : m_parameters) {
        at::Tensor grad = parameter.mutable_grad();
        if (grad.defined()) grad.zero_();
    }
}

NamedTensors ShardedAdamW::gatherState()
{
    NamedTensors own = m_own.state();
    if (!m_sharded) return own;
    const std::map<std::string, at::Tensor> ownByName(own.begin(), own.end());
    const int rank = m_communicator.rank();
    if (rank != 0) {
        std::vector<at::Tensor> moments; // both moments of each own parameter, in model order
        for (size_t i = 0; i < m_parameters.size(); ++i)
            if (m_owners[i] == rank)
                for (const char* moment : {"exp_avg.", "exp_avg_sq."})
                    moments.push_back(ownByName.at(moment + m_parameters[i].first));
        if (!moments.empty()) m_communicator.send(moments, 0);
        return {};
    }
    // Rank 0 lays out the whole state in AdamW::state()'s order, its own moments in place and
    // empty CPU tensors for every other rank's, which the receives then fill.
    NamedTensors whole{{"step", ownByName.at("step")}};
    std::vector<std::vector<at::Tensor>> incoming(size_t(m_communicator.worldSize()));
    for (size_t i = 0; i < m_parameters.size(); ++i) {
        const auto& [name, parameter] = m_parameters[i];
        for (const char* moment : {"exp_avg.", "exp_avg_sq."}) {
            at::Tensor tensor = m_owners[i] == 0 ? ownByName.at(moment + name)
                                                 : at::empty(parameter.sizes(),
                                                             parameter.options().device(at::kCPU));
            if (m_owners[i] != 0) incoming[size_t(m_owners[i])].push_back(tensor);
            whole.emplace_back(moment + name, tensor);
        }
    }
    for (int source = 1; source < m_communicator.worldSize(); ++source)
        if (!incoming[size_t(source)].empty())
            m_communicator.receive(incoming[size_t(source)], source);
    return whole;
}

void ShardedAdamW::loadState(const std::filesystem::path& file)
{
    std::vector<std::string> names;
    for (const auto& [name, tensor] : m_own.state())
        names.push_back(name);
    m_own.loadState(readNamedTensors(file, names));
}

std::vector<int64_t> ShardedAdamW::stateBytesPerRank() const
{
    std::vector<int64_t> bytes(m_sharded ? size_t(m_communicator.worldSize()) : 1, 0);
    for (size_t i = 0; i < m_parameters.size(); ++i)
        bytes[m_sharded ? size_t(m_owners[i]) : 0] += momentBytes(m_parameters[i].second);
    return bytes;
}

std::string ShardedAdamW::describe() const
{
    const std::vector<int64_t> bytes = stateBytesPerRank();
    const int64_t total = std::accumulate(bytes.begin(), bytes.end(), int64_t(0));
    if (!m_sharded) return "optimizer state " + megabytes(total) + " on this rank";
    std::string line = "optimizer state sharded over " + std::to_string(bytes.size()) +
                       " ranks: " + megabytes(bytes[size_t(m_communicator.rank())]) + " of " +
                       megabytes(total) + " on this rank (bytes per rank:";
    for (size_t rank = 0; rank < bytes.size(); ++rank)
        line += (rank == 0 ? " " : ", ") + std::to_string(bytes[rank]);
    return line + ")";
}

} // namespace rlhf::train
