#include "core/model/model_memory.h"

#include "core/util/error.h"

#include <cstdio>
#include <string>

namespace rlhf::model {

namespace {

// "4000000000000 bytes (3725.3 GiB)"
std::string bytesText(double bytes)
{
    char text[64];
    std::snprintf(text, sizeof(text), "%.0f bytes (%.1f GiB)", bytes,
                  bytes / (1024.0 * 1024 * 1024));
    return text;
}

} // namespace

double parameterEstimate(const ModelConfig& config)
{
    // Below 2^53 parameters the exact count is safe in int64 and exact in a double; the bound is
    // tested on a product of doubles that cannot overflow (the widest matrices of a layer).
    const double dim = double(config.dim), ffn = double(config.ffnHidden());
    const double widest = dim * (dim + double(config.heads) * double(config.headDim()) + ffn);
    const double rough = (double(config.vocabSize) + double(config.contextLength)) * dim * 2 +
                         double(config.layers) * 8 * (widest + dim + ffn);
    if (rough < 9e15) return double(parameterCount(config));
    return rough;
}

void checkWeightsFit(const ModelConfig& config, int64_t availableBytes)
{
    const double parameters = parameterEstimate(config);
    const double bytes = parameters * double(fp32Bytes);
    if (bytes <= double(availableBytes)) return;
    char count[32];
    std::snprintf(count, sizeof(count), "%.0f", parameters);
    throw Error("model: " + std::string(count) + " parameters need " + bytesText(bytes) +
                " of fp32 weights; this machine has " + bytesText(double(availableBytes)) +
                " of memory");
}

} // namespace rlhf::model
