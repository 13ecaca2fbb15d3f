#include "core/dist/communicator.h"

#include "core/util/error.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace rlhf::dist {

void LocalCommunicator::send(const std::vector<at::Tensor>&, int destination)
{
    throw Error("send: a single process has no rank " + std::to_string(destination));
}

void LocalCommunicator::receive(const std::vector<at::Tensor>&, int source)
{
    throw Error("receive: a single process has no rank " + std::to_string(source));
}

namespace {

class Done final : public PendingReduction {
public:
    void wait() override {}
};

} // namespace

std::unique_ptr<PendingReduction> LocalCommunicator::startAllReduceSum(const at::Tensor&)
{
    return std::make_unique<Done>(); // the sum over one rank is the tensor itself
}

std::vector<double> meanOverRanks(Communicator& communicator, std::vector<double> values)
{
    if (communicator.worldSize() == 1 || values.empty()) return values;
    // float64 on the CPU: exact enough for metric sums, and Gloo reduces CPU tensors.
    at::Tensor tensor = at::tensor(values, at::kDouble);
    communicator.allReduceMean({tensor});
    const double* data = tensor.data_ptr<double>();
    return std::vector<double>(data, data + values.size());
}

std::vector<double> sumOverRanks(Communicator& communicator, std::vector<double> values)
{
    values = meanOverRanks(communicator, std::move(values));
    for (double& value : values)
        value *= double(communicator.worldSize());
    return values;
}

std::vector<std::string> gatherBytes(Communicator& communicator, const std::string& bytes)
{
    if (communicator.worldSize() == 1) return {bytes};
    // Lengths first, then every rank's bytes padded to the longest.
    std::vector<int64_t> lengths;
    for (const at::Tensor& length :
         communicator.allGather(at::tensor({int64_t(bytes.size())}, at::kLong)))
        lengths.push_back(length.item<int64_t>());
    const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
    at::Tensor padded = at::zeros({std::max<int64_t>(longest, 1)}, at::kByte);
    std::copy(bytes.begin(), bytes.end(), padded.data_ptr<uint8_t>());
    std::vector<std::string> gathered;
    const auto all = communicator.allGather(padded);
    for (size_t rank = 0; rank < all.size(); ++rank) {
        const auto* data = all[rank].data_ptr<uint8_t>();
        gathered.emplace_back(data, data + lengths[rank]);
    }
    return gathered;
}

} // namespace rlhf::dist
