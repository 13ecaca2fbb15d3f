#include "core/dist/communicator.h"

#include <ATen/ATen.h>

namespace rlhf::dist {

std::vector<double> meanOverRanks(Communicator& communicator, std::vector<double> values)
{
    if (communicator.worldSize() == 1 || values.empty()) return values;
    // float64 on the CPU: exact enough for metric sums, and Gloo reduces CPU tensors.
    at::Tensor tensor = at::tensor(values, at::kDouble);
    communicator.allReduceMean({tensor});
    const double* data = tensor.data_ptr<double>();
    return std::vector<double>(data, data + values.size());
}

} // namespace rlhf::dist
