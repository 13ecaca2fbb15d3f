// The alignment stages' losses and estimators (PPO, DPO/IPO, GRPO, reward modelling) as ATen
// expressions. Each follows its formula in rl_losses.h line by line; statistics that are only
// logged are computed without autograd and handed back as doubles.
#include "core/train/rl_losses.h"

#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <limits>
#include <string>
#include <vector>

namespace rlhf::train {

namespace {

// Shapes are the one thing a caller can get wrong silently: broadcasting would hide it.
void requireSameShape(const char* function, const char* name, const at::Tensor& tensor,
                      const at::Tensor& reference)
{
    if (tensor.sizes() != reference.sizes())
        throw Error(std::string(function) + ": '" + name + "' has shape " +
                    c10::str(tensor.sizes()) + ", expected " + c10::str(reference.sizes()));
}

// (prompts, G) view of scores (B) after the checks every group function shares.
at::Tensor groupsOf(const char* function, const at::Tensor& scores, int64_t groupSize)
{
    if (scores.dim() != 1)
        throw Error(std::string(function) + ": scores must be (B), got " +
                    c10::str(scores.sizes()));
    if (groupSize < 1)
        throw Error(std::string(function) + ": groupSize must be >= 1, got " +
                    std::to_string(groupSize));
    const int64_t count = scores.size(0);
    if (count % groupSize != 0)
        throw Error(std::string(function) + ": " + std::to_string(count) +
                    " scores are not a multiple of groupSize " + std::to_string(groupSize));
    return scores.reshape({count / groupSize, groupSize});
}

double scalarOf(const at::Tensor& tensor)
{
    return tensor.item<double>();
}

} // namespace

at::Tensor maskedMean(const at::Tensor& values, const at::Tensor& mask)
{
    const at::Tensor weights = mask.to(values.scalar_type());
    // An all-zero mask has a zero numerator too, so the clamp turns 0/0 into 0 without a branch
    // (a where() here would put NaN into the gradient of the unselected side).
    return (values * weights).sum() / weights.sum().clamp_min(1e-8);
}

at::Tensor maskedVariance(const at::Tensor& values, const at::Tensor& mask, bool unbiased)
{
    const at::Tensor centred = values - maskedMean(values, mask);
    at::Tensor variance = maskedMean(centred * centred, mask);
    if (unbiased) {
        const double count = scalarOf(mask.to(at::kDouble).sum());
        if (count > 1.0) variance = variance * (count / (count - 1.0)); // Bessel's correction
    }
    return variance;
}

at::Tensor maskedWhiten(const at::Tensor& values, const at::Tensor& mask, bool shiftMean)
{
    const at::Tensor mean = maskedMean(values, mask);
    at::Tensor whitened = (values - mean) * at::rsqrt(maskedVariance(values, mask) + 1e-8);
    if (!shiftMean) whitened = whitened + mean;
    return whitened * mask.to(values.scalar_type()); // padding stays exactly 0
}

at::Tensor rewardModelLoss(const at::Tensor& chosen, const at::Tensor& rejected)
{
    requireSameShape("rewardModelLoss", "rejected", rejected, chosen);
    return -at::log_sigmoid(chosen - rejected).mean();
}

at::Tensor klPerToken(const at::Tensor& logProbs, const at::Tensor& refLogProbs,
                      KlEstimator estimator)
{
    requireSameShape("klPerToken", "refLogProbs", refLogProbs, logProbs);
    const at::Tensor logRatio = refLogProbs - logProbs; // log r = log(p_ref / p_policy)
    if (estimator == KlEstimator::K1) return -logRatio;
    return at::expm1(logRatio) - logRatio; // expm1 keeps r - 1 accurate when r is near 1
}

Advantages generalisedAdvantages(const at::Tensor& rewards, const at::Tensor& values,
                                 const at::Tensor& mask, double gamma, double lambda)
{
    requireSameShape("generalisedAdvantages", "values", values, rewards);
    requireSameShape("generalisedAdvantages", "mask", mask, rewards);
    if (rewards.dim() != 2)
        throw Error("generalisedAdvantages: rewards must be (B, T), got " +
                    c10::str(rewards.sizes()));
    // Targets, not part of any graph: the value head learns towards them, it does not
    // backpropagate through them.
    at::NoGradGuard noGrad;
    const at::Tensor weights = mask.to(rewards.scalar_type());
    // Zeroing padding first makes V_{t+1} = 0 after each row's last real token.
    const at::Tensor maskedRewards = rewards.detach() * weights; // (B, T)
    const at::Tensor maskedValues = values.detach() * weights;   // (B, T)
    const int64_t steps = rewards.size(1);

    std::vector<at::Tensor> columns(static_cast<size_t>(steps));          // each (B)
    at::Tensor running = at::zeros({rewards.size(0)}, rewards.options()); // A_{t+1}
    for (int64_t t = steps - 1; t >= 0; --t) {
        const at::Tensor nextValue =
            t + 1 < steps ? maskedValues.select(1, t + 1) : at::zeros_like(running);
        const at::Tensor delta =
            maskedRewards.select(1, t) + gamma * nextValue - maskedValues.select(1, t);
        // The mask cuts the recursion, so nothing from padding reaches a real token.
        running = (delta + gamma * lambda * running) * weights.select(1, t);
        columns[size_t(t)] = running;
    }
    Advantages result;
    result.advantages = steps > 0 ? at::stack(columns, 1) : at::zeros_like(rewards);
    result.returns = (result.advantages + maskedValues) * weights;
    return result;
}

at::Tensor aggregateLoss(const at::Tensor& perToken, const at::Tensor& mask,
                         LossAggregation aggregation, double normaliser)
{
    requireSameShape("aggregateLoss", "mask", mask, perToken);
    if (aggregation == LossAggregation::TokenMean) return maskedMean(perToken, mask);
    const at::Tensor weights = mask.to(perToken.scalar_type());
    const at::Tensor rowSums = (perToken * weights).sum(-1); // (B)
    if (aggregation == LossAggregation::SequenceSumNorm) {
        if (!(normaliser > 0))
            throw Error("aggregateLoss: normaliser must be > 0, got " + std::to_string(normaliser));
        return (rowSums / normaliser).mean();
    }
    return (rowSums / weights.sum(-1).clamp_min(1e-8)).mean(); // SequenceMean
}

double maskedQuantile(const at::Tensor& values, const at::Tensor& mask, double q)
{
    at::NoGradGuard noGrad;
    const at::Tensor selected =
        values.detach().to(at::kDouble).masked_select(mask.to(at::kBool).to(values.device()));
    if (selected.numel() == 0) return 0.0;
    return scalarOf(at::quantile(selected, q));
}

PolicyLoss clippedPolicyLoss(const at::Tensor& logProbs, const at::Tensor& oldLogProbs,
                             const at::Tensor& advantages, const at::Tensor& mask,
                             const PolicyLossOptions& options)
{
    requireSameShape("clippedPolicyLoss", "oldLogProbs", oldLogProbs, logProbs);
    requireSameShape("clippedPolicyLoss", "advantages", advantages, logProbs);
    requireSameShape("clippedPolicyLoss", "mask", mask, logProbs);
    const at::Tensor logRatio = logProbs - oldLogProbs.detach();
    const at::Tensor ratio = at::exp(logRatio);
    const at::Tensor fixedAdvantages = advantages.detach();
    const at::Tensor unclipped = -fixedAdvantages * ratio;
    const at::Tensor clipped =
        -fixedAdvantages * at::clamp(ratio, 1.0 - options.clipLow, 1.0 + options.clipHigh);

    PolicyLoss result;
    // The pessimistic (larger) loss per token: once the clamp wins, the gradient is zero there.
    result.loss = aggregateLoss(at::maximum(unclipped, clipped), mask, options.aggregation,
                                options.normaliser);

    at::NoGradGuard noGrad;
    const at::Tensor chosen = clipped > unclipped;
    const at::Tensor detachedRatio = ratio.detach();
    result.clipFraction = scalarOf(maskedMean(chosen.to(at::kFloat), mask));
    // The clipped term wins only outside the range, so each such token is on one side of it.
    result.clipFractionLow =
        scalarOf(maskedMean((chosen & (detachedRatio < 1.0)).to(at::kFloat), mask));
    result.clipFractionHigh =
        scalarOf(maskedMean((chosen & (detachedRatio > 1.0)).to(at::kFloat), mask));
    const at::Tensor detachedLogRatio = logRatio.detach();
    result.approxKl = scalarOf(maskedMean(0.5 * detachedLogRatio * detachedLogRatio, mask));
    result.ratioMean = scalarOf(maskedMean(detachedRatio, mask));
    result.ratioVariance = scalarOf(maskedVariance(detachedRatio, mask));
    result.ratioP05 = maskedQuantile(detachedRatio, mask, 0.05);
    result.ratioP95 = maskedQuantile(detachedRatio, mask, 0.95);
    return result;
}

ValueLoss clippedValueLoss(const at::Tensor& values, const at::Tensor& oldValues,
                           const at::Tensor& returns, const at::Tensor& mask, double clipRange)
{
    requireSameShape("clippedValueLoss", "oldValues", oldValues, values);
    requireSameShape("clippedValueLoss", "returns", returns, values);
    requireSameShape("clippedValueLoss", "mask", mask, values);
    const at::Tensor fixedOld = oldValues.detach();
    const at::Tensor targets = returns.detach();
    const at::Tensor clippedValues = fixedOld + at::clamp(values - fixedOld, -clipRange, clipRange);
    const at::Tensor error = (values - targets).pow(2);
    const at::Tensor clippedError = (clippedValues - targets).pow(2);

    ValueLoss result;
    result.loss = 0.5 * maskedMean(at::maximum(error, clippedError), mask);
    at::NoGradGuard noGrad;
    result.clipFraction = scalarOf(maskedMean((clippedError > error).to(at::kFloat), mask));
    return result;
}

DpoLoss preferenceLoss(const at::Tensor& policyChosen, const at::Tensor& policyRejected,
                       const at::Tensor& refChosen, const at::Tensor& refRejected, double beta,
                       PreferenceLoss kind)
{
    requireSameShape("preferenceLoss", "policyRejected", policyRejected, policyChosen);
    requireSameShape("preferenceLoss", "refChosen", refChosen, policyChosen);
    requireSameShape("preferenceLoss", "refRejected", refRejected, policyChosen);
    if (beta <= 0.0) throw Error("preferenceLoss: beta must be > 0, got " + std::to_string(beta));
    // The reference is frozen: its log-probabilities are constants even if a caller forgot.
    const at::Tensor chosenLogRatio = policyChosen - refChosen.detach();
    const at::Tensor rejectedLogRatio = policyRejected - refRejected.detach();
    const at::Tensor h = chosenLogRatio - rejectedLogRatio; // (B)

    DpoLoss result;
    if (kind == PreferenceLoss::Dpo) {
        result.loss = -at::log_sigmoid(beta * h).mean(); // stable for any margin
    } else {
        const at::Tensor gap = h - 1.0 / (2.0 * beta);
        result.loss = (gap * gap).mean();
    }
    result.chosenReward = (beta * chosenLogRatio).detach();
    result.rejectedReward = (beta * rejectedLogRatio).detach();
    return result;
}

at::Tensor groupAdvantages(const at::Tensor& scores, int64_t groupSize)
{
    const at::Tensor groups = groupsOf("groupAdvantages", scores, groupSize); // (prompts, G)
    // A group of one has no spread to normalise by (its unbiased std is NaN): no signal, 0.
    if (groupSize == 1) return at::zeros_like(scores);
    const at::Tensor mean = groups.mean({1}, /*keepdim=*/true);
    const at::Tensor spread = groups.std({1}, /*unbiased=*/true, /*keepdim=*/true);
    return ((groups - mean) / (spread + 1e-4)).reshape(scores.sizes());
}

at::Tensor centredGroupAdvantages(const at::Tensor& scores, int64_t groupSize)
{
    const at::Tensor groups = groupsOf("centredGroupAdvantages", scores, groupSize);
    return (groups - groups.mean({1}, /*keepdim=*/true)).reshape(scores.sizes());
}

at::Tensor leaveOneOutAdvantages(const at::Tensor& scores, int64_t groupSize)
{
    const at::Tensor groups = groupsOf("leaveOneOutAdvantages", scores, groupSize);
    if (groupSize < 2)
        throw Error("leaveOneOutAdvantages: groupSize must be >= 2 (a baseline of the others), "
                    "got 1");
    const at::Tensor others = (groups.sum({1}, /*keepdim=*/true) - groups) / double(groupSize - 1);
    return (groups - others).reshape(scores.sizes());
}

at::Tensor zeroSpreadGroups(const at::Tensor& scores, int64_t groupSize)
{
    const at::Tensor groups = groupsOf("zeroSpreadGroups", scores, groupSize).to(at::kDouble);
    const at::Tensor spread = std::get<0>(groups.max(1)) - std::get<0>(groups.min(1));
    const at::Tensor tolerance = 1e-6 * (1.0 + std::get<0>(groups.abs().max(1)));
    return (spread <= tolerance).to(at::kFloat);
}

at::Tensor scoreAtEndRewards(const at::Tensor& scores, const at::Tensor& tokenKl,
                             const at::Tensor& mask, double klCoef)
{
    requireSameShape("scoreAtEndRewards", "mask", mask, tokenKl);
    if (scores.dim() != 1 || scores.size(0) != tokenKl.size(0))
        throw Error("scoreAtEndRewards: scores " + c10::str(scores.sizes()) +
                    " do not match tokenKl " + c10::str(tokenKl.sizes()) + " as (B) and (B, T)");
    at::NoGradGuard noGrad;
    const at::Tensor weights = mask.to(at::kFloat);
    // The last real token is the one whose right neighbour is padding (or the end).
    const at::Tensor next = at::cat({weights.narrow(1, 1, weights.size(1) - 1),
                                     at::zeros({weights.size(0), 1}, weights.options())},
                                    1);
    const at::Tensor last = weights * (1.0 - next);
    const at::Tensor fixedScores = scores.detach().to(at::kFloat).to(weights.device());
    return (-klCoef * tokenKl.detach().to(at::kFloat) + fixedScores.unsqueeze(1) * last) * weights;
}

at::Tensor discountedReturns(const at::Tensor& rewards, const at::Tensor& mask, double gamma)
{
    // GAE with no value model and lambda 1 is exactly the discounted return.
    return generalisedAdvantages(rewards, at::zeros_like(rewards), mask, gamma, 1.0).advantages;
}

double explainedVariance(const at::Tensor& values, const at::Tensor& returns,
                         const at::Tensor& mask)
{
    requireSameShape("explainedVariance", "returns", returns, values);
    requireSameShape("explainedVariance", "mask", mask, values);
    at::NoGradGuard noGrad;
    const at::Tensor target = returns.detach().to(at::kDouble);
    const at::Tensor weights = mask.to(at::kDouble);
    const double spread = scalarOf(maskedVariance(target, weights, /*unbiased=*/false));
    if (!(spread > 0)) return std::numeric_limits<double>::quiet_NaN();
    const at::Tensor error = target - values.detach().to(at::kDouble);
    return 1.0 - scalarOf(maskedVariance(error, weights, /*unbiased=*/false)) / spread;
}

double maskedEntropy(const at::Tensor& logits, const at::Tensor& mask)
{
    if (logits.dim() != 3 || logits.sizes().slice(0, 2) != mask.sizes())
        throw Error("maskedEntropy: logits " + c10::str(logits.sizes()) + " do not match mask " +
                    c10::str(mask.sizes()) + " as (B, T, V) and (B, T)");
    at::NoGradGuard noGrad;
    const at::Tensor logProbs = at::log_softmax(logits.detach().to(at::kFloat), -1);
    const at::Tensor probabilities = at::exp(logProbs);
    // p log p -> 0 as p -> 0; a -inf logit would otherwise give 0 * -inf = NaN.
    const at::Tensor terms =
        at::where(probabilities > 0, probabilities * logProbs, at::zeros_like(logProbs));
    const at::Tensor entropy = -terms.sum(-1); // (B, T)
    return scalarOf(maskedMean(entropy, mask));
}

} // namespace rlhf::train
