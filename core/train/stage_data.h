// The examples a fine-tuning stage trains on, read from the project database: a dataset by
// name, one split of it, as Records of the kind the stage needs (chat for SFT and as PPO
// prompts, preference for the reward model and DPO). Torch-free.
#pragma once

#include "core/data/record.h"
#include "core/eval/label_pairs.h"

#include <optional>
#include <string>
#include <vector>

namespace rlhf::store {
class Database;
}

namespace rlhf::train {

// Where a stage's examples come from: a dataset of the project, or (reward and DPO stages) the
// labels of this project, {"labels": {<filter>}, "val_fraction": 0.1} in the document's "data".
struct StageDataset {
    std::string dataset;         // dataset name in the project, e.g. "arith-sft"; empty with labels
    std::string train = "train"; // split trained on
    std::string val = "val";     // split evaluated on; empty: no evaluation
    // The labels of this project instead of a dataset: the filtered labelled pairs, split by a
    // hash of the item id into "train" and "val" (valFraction of them).
    std::optional<eval::LabelFilter> labels;
    double valFraction = 0.1;
};

// The labelled pairs of `split` ("train" or "val") as preference Records, by item id. Throws
// rlhf::Error naming `where`.data.labels when no pair passes the filter.
std::vector<data::Record> loadLabelRecords(const store::Database& database,
                                           const eval::LabelFilter& filter, double valFraction,
                                           const std::string& split, const std::string& where);

// The records of `split`, in document order. Throws rlhf::Error naming `where`.data.dataset when
// the dataset is missing or of another kind than `kind` (a chat dataset is accepted where a
// preference one is asked for only as PPO prompts: see promptsOf), or naming the document
// ordinal of a malformed document.
std::vector<data::Record> loadStageRecords(const store::Database& database,
                                           const std::string& dataset, const std::string& split,
                                           data::RecordKind kind, const std::string& where);

// A prompt for generation and the reference answer where the data has one: from a chat record
// the messages before its last assistant turn (reference: that turn); from a preference record
// its prompt (reference: its chosen reply).
struct PromptExample {
    std::vector<data::Message> messages; // ends with a user turn
    std::string reference;               // may be empty
};
std::vector<PromptExample> promptsOf(const std::vector<data::Record>& records);

// Prompts of a chat or preference dataset (whichever kind it is).
std::vector<PromptExample> loadStagePrompts(const store::Database& database,
                                            const std::string& dataset, const std::string& split,
                                            const std::string& where);

} // namespace rlhf::train
