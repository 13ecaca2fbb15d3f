#include "core/model/lora.h"

#include "core/compat/torch_compat.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

namespace rlhf::model {

double LoraConfig::scaling() const
{
    return rsLora ? alpha / std::sqrt(double(rank)) : alpha / double(rank);
}

bool LoraConfig::targets(const std::string& moduleName) const
{
    for (const std::string& target : targetModules) {
        if (target == "all-linear") return true; // the caller offers only the layers' projections
        if (moduleName == target) return true;
        const bool suffix =
            moduleName.size() > target.size() &&
            moduleName.compare(moduleName.size() - target.size(), target.size(), target) == 0 &&
            moduleName[moduleName.size() - target.size() - 1] == '.';
        if (suffix) return true;
    }
    return false;
}

void LoraConfig::validate() const
{
    if (rank < 1) throw Error("lora.rank: must be 1 or more, got " + std::to_string(rank));
    if (!(alpha > 0)) throw Error("lora.alpha: must be positive");
    if (!(dropout >= 0 && dropout < 1)) throw Error("lora.dropout: must be in [0, 1)");
    if (targetModules.empty())
        throw Error("lora.target_modules: name at least one module, e.g. [\"q_proj\", "
                    "\"v_proj\"], or \"all-linear\"");
    for (const std::string& target : targetModules)
        if (target.empty()) throw Error("lora.target_modules: an empty module name");
}

namespace {

// The L2 norm of each row of a matrix: (out) or (out, 1).
at::Tensor rowNorms(const at::Tensor& matrix, bool keepdim)
{
    return matrix.pow(2).sum(1, keepdim).sqrt();
}

} // namespace

LoraWeights initLora(const LoraConfig& config, int64_t in, int64_t out, at::Generator& generator,
                     const at::Tensor& denseWeight)
{
    at::NoGradGuard noGrad;
    LoraWeights lora;
    // kaiming_uniform_(a = sqrt(5)): bound = sqrt(6 / ((1 + a^2) fan_in)) = 1 / sqrt(fan_in).
    const double bound = 1.0 / std::sqrt(double(in));
    lora.a = at::empty({config.rank, in}, at::kFloat).uniform_(-bound, bound, generator);
    lora.b = at::zeros({out, config.rank}, at::kFloat);
    lora.scaling = config.scaling();
    lora.dropout = config.dropout;
    if (config.dora) lora.magnitude = rowNorms(denseWeight.to(at::kFloat), /*keepdim=*/false);
    return lora;
}

namespace {

at::Tensor dropout(const at::Tensor& x, double p, at::Generator* generator)
{
    const at::Tensor keep =
        at::empty_like(x, x.options().dtype(at::kFloat)).bernoulli_(1.0 - p, *generator);
    return x * (keep / (1.0 - p)).to(x.scalar_type());
}

} // namespace

at::Tensor addLora(const LoraWeights& lora, const at::Tensor& x, const at::Tensor& result,
                   const at::Tensor& bias, const std::function<at::Tensor()>& denseWeight,
                   bool training, at::Generator* dropoutGenerator)
{
    const bool drop = training && lora.dropout > 0;
    if (drop && !dropoutGenerator) throw Error("lora: dropout needs a random generator");
    const at::Tensor input = drop ? dropout(x, lora.dropout, dropoutGenerator) : x;
    // Under autocast the products run in its dtype; outside it the adapter's fp32 meets an
    // input of another dtype as PEFT does it: the input is cast to the adapter's.
    const bool cast =
        !compat::autocastEnabled(x.device().type()) && input.scalar_type() != lora.a.scalar_type();
    const at::Tensor adapterInput = cast ? input.to(lora.a.scalar_type()) : input;
    at::Tensor update = at::linear(at::linear(adapterInput, lora.a), lora.b); // (..., out)
    if (!lora.magnitude.defined()) return result + (update * lora.scaling).to(result.scalar_type());

    // DoRA: the rows of W + scaling B A, their norms treated as constants.
    const at::Tensor weight = denseWeight();
    at::Tensor rowNorm;
    {
        at::NoGradGuard noGrad;
        const at::Tensor delta = at::matmul(lora.b, lora.a).to(weight.scalar_type());
        rowNorm = rowNorms(weight + lora.scaling * delta, /*keepdim=*/false);
    }
    const at::Tensor scale = lora.magnitude / rowNorm.to(lora.magnitude.scalar_type()); // (out)
    // The base's output without its bias; with dropout, that of the dropped input.
    const at::Tensor baseResult =
        drop ? at::linear(input, weight) : (bias.defined() ? result - bias : result);
    const at::Tensor extra =
        (scale - 1.0) * baseResult + scale * (update.to(baseResult.scalar_type()) * lora.scaling);
    return result + extra.to(result.scalar_type());
}

at::Tensor loraDelta(const LoraWeights& lora)
{
    return at::matmul(lora.b, lora.a) * lora.scaling;
}

at::Tensor mergedWeight(const LoraWeights& lora, const at::Tensor& denseWeight)
{
    at::NoGradGuard noGrad;
    const at::Tensor weight = denseWeight.to(at::kFloat) + loraDelta(lora);
    if (!lora.magnitude.defined()) return weight;
    const at::Tensor rowNorm = rowNorms(weight, /*keepdim=*/true);
    return weight * (lora.magnitude.unsqueeze(1) / rowNorm);
}

} // namespace rlhf::model
