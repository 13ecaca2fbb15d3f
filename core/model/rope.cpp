#include "core/model/rope.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rlhf::model {

namespace {

// theta^(-2i/d) for i < d/2, in fp32 as transformers computes it.
at::Tensor defaultInverse(double theta, int64_t dim)
{
    const auto exponents = at::arange(0, dim, 2, at::kLong).to(at::kFloat) / double(dim);
    return 1.0 / at::pow(theta, exponents);
}

// Llama 3.1: wavelengths above original/low_freq_factor are divided by `factor`, those below
// original/high_freq_factor kept, and the ones between blended smoothly.
at::Tensor llama3Inverse(const at::Tensor& inverse, const RopeScaling& rope)
{
    const double context = double(rope.originalContext);
    const double lowWavelength = context / rope.lowFreqFactor;
    const double highWavelength = context / rope.highFreqFactor;
    const at::Tensor wavelength = 2.0 * std::numbers::pi / inverse;
    at::Tensor scaled = at::where(wavelength > lowWavelength, inverse / rope.factor, inverse);
    const at::Tensor smooth =
        (context / wavelength - rope.lowFreqFactor) / (rope.highFreqFactor - rope.lowFreqFactor);
    const at::Tensor smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
    const at::Tensor medium =
        (wavelength < highWavelength).logical_not() & (wavelength > lowWavelength).logical_not();
    return at::where(medium, smoothed, scaled);
}

double yarnMscale(double factor, double mscale = 1.0)
{
    return factor <= 1.0 ? 1.0 : 0.1 * mscale * std::log(factor) + 1.0;
}

// YaRN: dimensions that turn fewer than beta_slow times over the original context are
// interpolated (divided by factor), those turning more than beta_fast times kept, a linear ramp
// between; cos and sin are scaled by the attention factor.
RopeFrequencies yarn(double theta, int64_t dim, const RopeScaling& rope)
{
    auto correctionDim = [&](double rotations) {
        return double(dim) *
               std::log(double(rope.originalContext) / (rotations * 2.0 * std::numbers::pi)) /
               (2.0 * std::log(theta));
    };
    double low = correctionDim(rope.betaFast), high = correctionDim(rope.betaSlow);
    if (rope.truncate) low = std::floor(low), high = std::ceil(high);
    low = std::max(low, 0.0), high = std::min(high, double(dim - 1));
    if (low == high) high += 0.001; // as transformers does, against a division by zero

    const auto positions = at::pow(theta, at::arange(0, dim, 2).to(at::kFloat) / double(dim));
    const at::Tensor extrapolation = 1.0 / positions;
    const at::Tensor interpolation = 1.0 / (rope.factor * positions);
    const at::Tensor ramp = ((at::arange(dim / 2, at::kFloat) - low) / (high - low)).clamp(0, 1);
    const at::Tensor keep = 1 - ramp; // the share of the original (extrapolated) frequency
    RopeFrequencies result;
    result.inverse = interpolation * (1 - keep) + extrapolation * keep;
    if (rope.attentionFactor > 0)
        result.scale = rope.attentionFactor;
    else if (rope.mscale > 0 && rope.mscaleAllDim > 0)
        result.scale =
            yarnMscale(rope.factor, rope.mscale) / yarnMscale(rope.factor, rope.mscaleAllDim);
    else
        result.scale = yarnMscale(rope.factor);
    return result;
}

} // namespace

RopeFrequencies ropeFrequencies(const ModelConfig& config)
{
    const int64_t dim = config.headDim();
    const RopeScaling& rope = config.rope;
    switch (rope.type) {
    case RopeType::Default:
    case RopeType::Dynamic: // differs only beyond max_position_embeddings, never reached here
        return {defaultInverse(config.ropeTheta, dim), 1.0};
    case RopeType::Linear:
        return {defaultInverse(config.ropeTheta, dim) / rope.factor, 1.0};
    case RopeType::Llama3:
        return {llama3Inverse(defaultInverse(config.ropeTheta, dim), rope), 1.0};
    case RopeType::Yarn:
        return yarn(config.ropeTheta, dim, rope);
    }
    return {defaultInverse(config.ropeTheta, dim), 1.0};
}

} // namespace rlhf::model
