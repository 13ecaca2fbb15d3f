// The metrics that matter per stage (see stagemetrics.h), with the names core/train logs.
#include "widgets/plots/stagemetrics.h"

namespace rlhf::widgets {

QStringList stageMetrics(const QString& stage)
{
    if (stage == "reward")
        return {"train/loss",      "val/accuracy", "val/margin",     "train/accuracy",
                "val/reward_mean", "train/lr",     "train/grad_norm"};
    if (stage == "dpo")
        return {"train/loss",          "val/accuracy", "val/margin", "val/reward_chosen",
                "val/reward_rejected", "train/margin", "train/lr",   "train/grad_norm"};
    if (stage == "ppo")
        return {"rl/score",   "task/accuracy",    "eval/accuracy_sampled", "rl/kl",
                "rl/entropy", "rl/clip_fraction", "rl/value_loss",         "rl/response_length",
                "rl/reward",  "rl/policy_loss"};
    if (stage == "grpo")
        return {"rl/score",   "task/accuracy",    "eval/accuracy_sampled", "rl/kl",
                "rl/entropy", "rl/clip_fraction", "rl/response_length",    "rl/reward",
                "rl/kl_loss", "rl/policy_loss"};
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
