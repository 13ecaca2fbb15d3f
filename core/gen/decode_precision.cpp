// Choosing and naming the decode precision (see decode_precision.h).
#include "core/gen/decode_precision.h"

#include "core/util/cpu_features.h"

#include <ATen/Parallel.h>

namespace rlhf::gen {

DecodePrecision autoDecodePrecision()
{
    return cpuHasAvx512Bf16() ? DecodePrecision::BFloat16 : DecodePrecision::Float32;
}

std::string decodingDescription(DecodePrecision precision)
{
    return "cpu, " + std::to_string(at::get_num_threads()) + " threads" +
           (precision == DecodePrecision::BFloat16 ? ", bf16 autocast" : ", fp32");
}

} // namespace rlhf::gen
