// Choosing and naming the decode precision (see decode_precision.h).
#include "core/gen/decode_precision.h"

#include "core/model/torch_runtime.h"

#include <ATen/Parallel.h>

namespace rlhf::gen {

DecodePrecision autoDecodePrecision()
{
    return DecodePrecision::Float32;
}

DecodeSetup autoDecodeSetup()
{
    if (model::cudaAvailable()) return {DecodePrecision::BFloat16, 0};
    return {autoDecodePrecision(), -1};
}

std::string decodingDescription(const DecodeSetup& setup)
{
    const std::string where = setup.gpu >= 0
                                  ? "cuda:" + std::to_string(setup.gpu)
                                  : "cpu, " + std::to_string(at::get_num_threads()) + " threads";
    return where + (setup.precision == DecodePrecision::BFloat16 ? ", bf16 autocast" : ", fp32");
}

} // namespace rlhf::gen
