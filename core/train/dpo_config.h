// The configuration of the DPO stage (and IPO): the shared fine-tuning fields plus its "dpo"
// block, {"beta": 0.1, "loss": "dpo"}. Parsed strictly and written by one field list.
#pragma once

#include "core/train/finetune_config.h"
#include "core/train/rl_losses.h"
#include "core/util/word_table.h"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace rlhf::train {

inline constexpr WordTable<PreferenceLoss, 2> preferenceLossWords{{
    {PreferenceLoss::Dpo, "dpo"},
    {PreferenceLoss::Ipo, "ipo"},
}};

struct DpoConfig : FineTuneConfig {
    double beta = 0.1;                         // strength of the KL anchor, e.g. 0.1
    PreferenceLoss loss = PreferenceLoss::Dpo; // "dpo" or "ipo"
};

DpoConfig dpoConfigFromJson(const nlohmann::json& json, const std::string& where);
nlohmann::json toJson(const DpoConfig& config);

} // namespace rlhf::train
