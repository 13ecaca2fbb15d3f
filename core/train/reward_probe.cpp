#include "core/train/reward_probe.h"

#include "core/train/rl_config.h"
#include "core/train/rollout.h"
#include "core/train/rule_reward.h"
#include "core/train/scalar_model.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>

namespace rlhf::train {

namespace {

constexpr int64_t promptsPerBatch = 32; // prompts sampled together (times `samples` rows)

} // namespace

OnPolicyAccuracy onPolicyAccuracy(ScalarModel& reward, model::Transformer policy,
                                  const std::vector<PromptExample>& prompts,
                                  const chat::ChatEncoder& encoder, const OnPolicyProbe& probe,
                                  const ComputeSetup& setup, uint64_t seed)
{
    std::vector<int64_t> chosen; // prompts with a reference, the first probe.prompts of them
    for (size_t i = 0; i < prompts.size() && int64_t(chosen.size()) < probe.prompts; ++i)
        if (!prompts[i].reference.empty()) chosen.push_back(int64_t(i));
    RlConfig sampling; // temperature 1, no top-k / top-p: the policy as PPO samples it
    sampling.rollout.maxNewTokens = probe.maxNewTokens;
    const RuleReward exactAnswer({{"exact_answer"}});

    at::NoGradGuard noGrad;
    policy->eval();
    reward.train(false);
    OnPolicyAccuracy result;
    double rightPairs = 0, rightReplies = 0;
    for (size_t first = 0; first < chosen.size(); first += promptsPerBatch) {
        const size_t last = std::min(chosen.size(), first + promptsPerBatch);
        std::vector<int64_t> rows;
        for (size_t i = first; i < last; ++i)
            rows.insert(rows.end(), size_t(probe.samples), chosen[i]);
        const RolloutBatch batch =
            sampleRollouts(policy, prompts, rows, encoder, sampling, setup, seed + first);
        at::Tensor scores;
        {
            auto scope = setup.autocast();
            scores = reward.score(batch.rows, setup.device).to(at::kDouble).cpu();
        }
        // Rows of a prompt are consecutive: compare every right reply with every wrong one.
        for (size_t start = 0; start < rows.size(); start += size_t(probe.samples)) {
            const std::string& reference = prompts[size_t(rows[start])].reference;
            std::vector<double> right, wrong;
            for (size_t row = start; row < start + size_t(probe.samples); ++row) {
                const double score = scores[int64_t(row)].item<double>();
                (exactAnswer.score(batch.texts[row], reference) > 0 ? right : wrong)
                    .push_back(score);
            }
            rightReplies += double(right.size());
            for (const double r : right)
                for (const double w : wrong) {
                    rightPairs += r > w ? 1 : 0;
                    ++result.pairs;
                }
        }
        result.replies += int64_t(rows.size());
    }
    result.prompts = int64_t(chosen.size());
    result.accuracy = result.pairs > 0 ? rightPairs / double(result.pairs) : 0;
    result.replyAccuracy = result.replies > 0 ? rightReplies / double(result.replies) : 0;
    return result;
}

} // namespace rlhf::train
