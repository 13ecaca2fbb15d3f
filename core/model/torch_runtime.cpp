// setComputeThreads and cudaAvailable: thin calls into ATen's parallel and context settings.
#include "core/model/torch_runtime.h"

#include "core/util/cpu_features.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

namespace rlhf::model {

int setComputeThreads(int threads)
{
    const int count = threads > 0 ? threads : availableCores();
    at::set_num_threads(count);
    return at::get_num_threads();
}

bool cudaAvailable()
{
    return at::hasCUDA();
}

} // namespace rlhf::model
