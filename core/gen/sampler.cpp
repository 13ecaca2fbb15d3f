// The sampling chain steps and the seeded Sampler (see sampler.h).
#include "core/gen/sampler.h"

#include "core/util/error.h"

// Per-operator headers and Tensor methods (no operators): less compile time than <ATen/ATen.h>.
#include <ATen/core/Tensor.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/full_like.h>
#include <ATen/ops/ones_like.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>
#include <ATen/CPUGeneratorImpl.h>

#include <limits>
#include <string>

namespace rlhf::gen {

namespace {

constexpr double negativeInfinity = -std::numeric_limits<double>::infinity();

void checkLogits(const at::Tensor& logits, const char* step)
{
    TORCH_CHECK(logits.dim() == 2, step, ": logits must be (B, vocab), got ", logits.sizes());
}

} // namespace

at::Tensor tokenPresence(const at::Tensor& tokens, const at::Tensor& valid, int64_t vocabSize)
{
    TORCH_CHECK(tokens.dim() == 2, "tokenPresence: tokens must be (B, T), got ", tokens.sizes());
    const at::Tensor weight =
        valid.defined() ? valid.to(at::kInt) : at::ones_like(tokens, at::kInt);
    // (B, vocab): how often each token occurs among the valid ones; duplicates add up.
    const at::Tensor counts = at::zeros({tokens.size(0), vocabSize}, weight.options())
                                  .scatter_add_(1, tokens.to(at::kLong), weight);
    return counts.gt(0);
}

at::Tensor applyRepetitionPenalty(const at::Tensor& logits, const at::Tensor& seen, float penalty)
{
    checkLogits(logits, "repetition penalty");
    if (penalty == 1.0f) return logits;
    const at::Tensor penalized = at::where(logits.gt(0), logits.div(penalty), logits.mul(penalty));
    return at::where(seen, penalized, logits); // (B, vocab)
}

at::Tensor applyTemperature(const at::Tensor& logits, float temperature)
{
    checkLogits(logits, "temperature");
    if (!(temperature > 0.0f))
        throw Error("temperature must be > 0, got " + std::to_string(temperature));
    return logits.div(temperature);
}

at::Tensor applyTopK(const at::Tensor& logits, int64_t k)
{
    checkLogits(logits, "top-k");
    if (k <= 0 || k >= logits.size(1)) return logits;
    const auto [values, indices] = logits.topk(k, /*dim=*/1); // (B, k) each
    return at::full_like(logits, negativeInfinity).scatter_(1, indices, values);
}

at::Tensor applyTopP(const at::Tensor& logits, float p)
{
    checkLogits(logits, "top-p");
    if (p >= 1.0f) return logits;
    const auto [sorted, order] = logits.sort(/*dim=*/1, /*descending=*/true); // (B, vocab) each
    const at::Tensor cumulative = sorted.softmax(1).cumsum(1);
    // Probability of all strictly more likely tokens: the cumulative sum shifted right by one.
    const int64_t vocab = logits.size(1);
    const at::Tensor before =
        at::cat({at::zeros_like(cumulative.narrow(1, 0, 1)), cumulative.narrow(1, 0, vocab - 1)},
                /*dim=*/1);
    at::Tensor removeSorted = before.ge(p);
    removeSorted.select(1, 0).fill_(false); // the most likely token always stays
    const at::Tensor remove = at::zeros_like(removeSorted).scatter_(1, order, removeSorted);
    return logits.masked_fill(remove, negativeInfinity);
}

at::Tensor drawToken(const at::Tensor& logits, at::Generator& generator)
{
    checkLogits(logits, "draw");
    // Inverse CDF: the same as at::multinomial(probs, 1), but the uniforms are drawn on the CPU
    // generator and moved to the logits' device, so one seed serves CPU and GPU alike.
    const at::Tensor probs = logits.to(at::kDouble).softmax(1);
    const at::Tensor cumulative = probs.cumsum(1);                        // (B, vocab)
    const at::Tensor total = cumulative.narrow(1, logits.size(1) - 1, 1); // (B, 1)
    const at::Tensor uniform =
        at::rand({logits.size(0), 1}, generator, at::TensorOptions().dtype(at::kDouble))
            .to(logits.device());
    // Token j is drawn when cumulative[j-1] <= u * total < cumulative[j]: probability probs[j],
    // and never a token whose probability is 0.
    const at::Tensor threshold = uniform.mul(total);                      // (B, 1)
    return cumulative.le(threshold).sum(1).clamp_max(logits.size(1) - 1); // (B) int64
}

at::Tensor greedyToken(const at::Tensor& logits)
{
    checkLogits(logits, "greedy");
    return logits.argmax(1); // (B) int64
}

Sampler::Sampler(const SamplingSettings& settings)
    : m_temperature(float(settings.temperature)), m_topK(settings.topK),
      m_topP(float(settings.topP)), m_repetitionPenalty(float(settings.repetitionPenalty)),
      m_generator(at::detail::createCPUGenerator(settings.seed))
{
    if (m_temperature < 0.0f)
        throw Error("sampling: temperature must be >= 0, got " + std::to_string(m_temperature));
    if (m_topK < 0) throw Error("sampling: topK must be >= 0, got " + std::to_string(m_topK));
    if (!(m_topP > 0.0f)) throw Error("sampling: topP must be > 0, got " + std::to_string(m_topP));
    if (!(m_repetitionPenalty > 0.0f))
        throw Error("sampling: repetitionPenalty must be > 0, got " +
                    std::to_string(m_repetitionPenalty));
}

at::Tensor Sampler::filter(const at::Tensor& logits, const at::Tensor& seen) const
{
    at::Tensor filtered = logits.to(at::kFloat); // (B, vocab)
    if (seen.defined()) filtered = applyRepetitionPenalty(filtered, seen, m_repetitionPenalty);
    if (isGreedy()) return filtered;
    filtered = applyTemperature(filtered, m_temperature);
    filtered = applyTopK(filtered, m_topK);
    return applyTopP(filtered, m_topP);
}

at::Tensor Sampler::sample(const at::Tensor& logits, const at::Tensor& seen)
{
    const at::Tensor filtered = filter(logits, seen);
    return isGreedy() ? greedyToken(filtered) : drawToken(filtered, m_generator);
}

} // namespace rlhf::gen
