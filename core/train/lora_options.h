// The "lora" block of a fine-tuning stage's document (sft, reward, dpo, ppo, grpo): train
// low-rank adapters on a frozen base instead of every weight.
//   "lora": {"rank": 16, "alpha": 32, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"],
//            "rslora": false, "dora": false, "base": "fp32"}
// target_modules is a list of layer names or "all-linear"; base says how the frozen base's
// linear layers are held: fp32, bf16 (rounded), or quantised (nf4: QLoRA's 4-bit NormalFloat
// with double quantisation; int8: one scale per output row).
#pragma once

#include "core/model/lora_config.h"
#include "core/util/word_table.h"

namespace rlhf {
template <typename Config> class JsonFields;
}

namespace rlhf::train {

enum class BaseStorage { Float32, BFloat16, Nf4, Int8 };
inline constexpr WordTable<BaseStorage, 4> baseStorageWords{{
    {BaseStorage::Float32, "fp32"},
    {BaseStorage::BFloat16, "bf16"},
    {BaseStorage::Nf4, "nf4"},
    {BaseStorage::Int8, "int8"},
}};

struct LoraOptions {
    model::LoraConfig adapter;
    BaseStorage base = BaseStorage::Float32;
};

const JsonFields<LoraOptions>& loraOptionFields();

} // namespace rlhf::train
