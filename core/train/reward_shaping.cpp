#include "core/train/reward_shaping.h"

#include <ATen/ATen.h>

namespace rlhf::train {

ShapedScores shapeRewardScores(const at::Tensor& scores, const RewardShaping& shaping)
{
    const auto all = scores.to(at::kDouble);                  // (M, B)
    const auto mean = all.mean(0);                            // (B)
    const auto spread = (all - mean).square().mean(0).sqrt(); // (B), population std
    at::Tensor shaped;
    switch (shaping.aggregate) {
    case EnsembleAggregate::Mean:
        shaped = mean;
        break;
    case EnsembleAggregate::Lcb:
        shaped = mean - shaping.lcbK * spread;
        break;
    case EnsembleAggregate::Min:
        shaped = std::get<0>(all.min(0));
        break;
    }
    if (shaping.normalize == RewardNormalization::Batch && shaped.size(0) > 1)
        shaped = (shaped - shaped.mean()) / (shaped.std() + 1e-8);
    if (shaping.clip > 0) shaped = shaped.clamp(-shaping.clip, shaping.clip);
    return {shaped, spread};
}

} // namespace rlhf::train
