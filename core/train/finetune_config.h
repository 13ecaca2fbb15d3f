// What the stages after pretraining (sft, reward, dpo, ppo, grpo) share in their JSON document:
// the checkpoint they start from, the tokenizer, the dataset and its splits, the chat template,
// resume, and the common optimizer / training blocks. Each stage's config derives from it.
//   {"stage": "sft", "name": "sft-arith", "init": "checkpoints/run-1/step-000300",
//    "data": {"dataset": "arith-sft", "train": "train", "val": "val"},
//    "chat_template": {...}, "optimizer": {...}, "training": {...}}
// The reward and dpo stages may train on this project's labels instead of a dataset:
//    "data": {"labels": {"annotators": ["alice"], "min_agreement": 0.66}, "val_fraction": 0.1}
#pragma once

#include "core/chat/chat_template.h"
#include "core/train/stage_data.h"
#include "core/train/training_options.h"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace rlhf {
class JsonReader;
}

namespace rlhf::train {

struct FineTuneConfig : TrainingOptions {
    std::string stage;      // "sft", "reward", "dpo", "ppo" or "grpo"
    std::string name;       // run name, e.g. "sft-arith"
    std::string init;       // checkpoint folder the trained model starts from (required)
    std::string tokenizer;  // tokenizer.json; empty: the init checkpoint's tokenizer.json
    std::string resumeFrom; // checkpoint folder of this stage to continue from; empty: fresh
    StageDataset data;
    chat::ChatTemplate chatTemplate;
    int64_t maxLength = 0; // tokens per sequence; longer ones are cut; 0: the model's context
};

// A document of a stage with only the shared fields (sft, reward), strictly parsed.
FineTuneConfig fineTuneConfigFromJson(const nlohmann::json& json, const std::string& stage,
                                      const std::string& where);

// Reads the shared fields of `root` (stage must be `stage`). The stage's own fields are read by
// the caller before it calls root.rejectUnknown().
void readFineTuneConfig(JsonReader& root, const std::string& stage, FineTuneConfig& config);
// The document of the shared fields; the stage adds its own.
nlohmann::json fineTuneJson(const FineTuneConfig& config);

// The stage named by a document's "stage" field; throws rlhf::Error naming `where` when absent.
std::string stageOf(const nlohmann::json& document, const std::string& where);

} // namespace rlhf::train
