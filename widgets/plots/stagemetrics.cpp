// The metrics that matter per stage (see stagemetrics.h), with the names core/train logs.
#include "widgets/plots/stagemetrics.h"

namespace rlhf::widgets {

QStringList stageMetrics(const QString& stage)
{
    if (stage == "reward")
        return {"train/loss",      "val/accuracy", "val/margin",      "train/accuracy",
                "val/reward_mean", "train/lr",     "train/grad_norm", "train/likelihood_weight"};
    if (stage == "dpo")
        return {"train/loss",          "val/accuracy", "val/margin", "val/reward_chosen",
                "val/reward_rejected", "train/margin", "train/lr",   "train/grad_norm"};
    // PPO and GRPO: progress, then the health signals (what the health checks read), then the
    // losses and the distributions behind the clip fraction and the KL.
    if (stage == "ppo")
        return {"rl/score",
                "task/accuracy",
                "eval/accuracy_sampled",
                "rl/kl",
                "rl/entropy",
                "rl/value_explained_variance",
                "rl/clip_fraction",
                "rl/truncation_rate",
                "rl/value_loss",
                "rl/response_length",
                "rl/reward",
                "rl/policy_loss",
                "rl/clip_fraction_low",
                "rl/clip_fraction_high",
                "rl/ratio_p05",
                "rl/ratio_p95",
                "rl/kl_p50",
                "rl/kl_p95"};
    if (stage == "grpo")
        return {"rl/score",
                "task/accuracy",
                "eval/accuracy_sampled",
                "rl/kl",
                "rl/entropy",
                "rl/zero_spread_groups",
                "rl/clip_fraction",
                "rl/truncation_rate",
                "rl/response_length",
                "rl/reward",
                "rl/kl_loss",
                "rl/policy_loss",
                "rl/clip_fraction_low",
                "rl/clip_fraction_high",
                "rl/ratio_p05",
                "rl/ratio_p95",
                "rl/kl_p50",
                "rl/kl_p95"};
    return {"train/loss", "val/loss",        "val/perplexity",
            "train/lr",   "train/grad_norm", "train/tokens_per_s"}; // pretrain, sft
}

BestMetric stageBestMetric(const QString& stage)
{
    if (stage == "reward" || stage == "dpo") return {"val/accuracy", "val accuracy", false};
    if (stage == "ppo" || stage == "grpo")
        return {"eval/accuracy_sampled", "val accuracy (sampled)", false};
    return {"val/loss", "val loss", true};
}

} // namespace rlhf::widgets
