// What the stages after pretraining (sft, reward, dpo, ppo, grpo) share in their JSON document:
// the checkpoint they start from, the tokenizer, the dataset and its splits, the chat template,
// resume, and the common optimizer / training blocks. Each stage's config derives from it.
//   {"stage": "sft", "name": "sft-arith", "init": "checkpoints/run-1/step-000300",
//    "data": {"dataset": "arith-sft", "train": "train", "val": "val"},
//    "chat_template": {...}, "lora": {...}, "optimizer": {...}, "training": {...}}
// The reward and dpo stages may train on this project's labels instead of a dataset:
//    "data": {"labels": {"annotators": ["alice"], "min_agreement": 0.66}, "val_fraction": 0.1}
#pragma once

#include "core/chat/chat_template.h"
#include "core/train/lora_options.h"
#include "core/train/stage_data.h"
#include "core/train/training_options.h"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>

namespace rlhf {
template <typename Config> class JsonFields;
}

namespace rlhf::train {

struct FineTuneConfig : TrainingOptions {
    store::RunStage stage = store::RunStage::Sft; // any stage but pretrain
    std::string name;                             // run name, e.g. "sft-arith"
    std::string init;       // checkpoint folder the trained model starts from (required)
    std::string tokenizer;  // tokenizer.json; empty: the init checkpoint's tokenizer.json
    std::string resumeFrom; // checkpoint folder of this stage to continue from; empty: fresh
    StageDataset data;
    chat::ChatTemplate chatTemplate;
    int64_t maxLength = 0; // tokens per sequence; longer ones are cut; 0: the model's context
    // Train LoRA adapters on the frozen init model rather than all of its weights.
    std::optional<LoraOptions> lora;

    // The tokens a sequence may hold with a model of `contextLength`: maxLength, at most the
    // context.
    int64_t tokenLimit(int64_t contextLength) const
    {
        return maxLength > 0 && maxLength < contextLength ? maxLength : contextLength;
    }
};

// A document of a stage with only the shared fields (sft, reward), strictly parsed.
FineTuneConfig fineTuneConfigFromJson(const nlohmann::json& json, store::RunStage stage,
                                      const std::string& where);

// The shared fields, which every later stage's field list includes. Reading checks that the
// document's stage is config.stage (set it first) and defaults the run name to the stage.
const JsonFields<FineTuneConfig>& fineTuneFields();
// The document of the shared fields; the stage adds its own.
nlohmann::json fineTuneJson(const FineTuneConfig& config);

// The stage named by a document's "stage" field; throws rlhf::Error naming `where` when it is
// absent or names no stage.
store::RunStage stageOf(const nlohmann::json& document, const std::string& where);

} // namespace rlhf::train
