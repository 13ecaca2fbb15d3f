#include "core/util/threads.h"

#include "core/util/cpu_features.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

namespace rlhf {

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

} // namespace rlhf
