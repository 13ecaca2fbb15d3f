// Direct preference optimisation (and IPO): the policy learns from preference pairs directly,
// against a frozen reference (the init checkpoint) whose log-probabilities of every pair are
// computed once before training and cached. Logs the implicit rewards of chosen and rejected
// replies, their margin and the preference accuracy, on training batches and held-out pairs.
#pragma once

#include "core/train/finetune_config.h"
#include "core/train/rl_losses.h"
#include "core/train/sft.h"

namespace rlhf::train {

struct DpoConfig : FineTuneConfig {
    double beta = 0.1;                         // strength of the KL anchor, e.g. 0.1
    PreferenceLoss loss = PreferenceLoss::Dpo; // "dpo" or "ipo"
};

// "dpo": {"beta": 0.1, "loss": "dpo"} beside the shared fields.
DpoConfig dpoConfigFromJson(const nlohmann::json& json, const std::string& where);
nlohmann::json toJson(const DpoConfig& config);

// data.train / data.val hold preference records.
StageResult runDpo(const DpoConfig& config, const ChatData& data, const RunContext& run);

} // namespace rlhf::train
