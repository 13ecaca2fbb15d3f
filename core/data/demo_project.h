// The demo project: a project whose data is ready to train on at once, the studio's "Open the
// demo project" and the start of `rlhf demo`'s alignment pipeline. It holds the verifiable
// addition task (tasks/arithmetic_task.h) as SFT, preference and prompt datasets, a byte-level
// BPE tokenizer trained on the SFT dialogues, and that dataset's token splits.
#pragma once

#include "core/data/tasks/arithmetic_task.h"
#include "core/data/token_splits.h"

#include <filesystem>
#include <functional>
#include <string>

namespace rlhf::data {

struct DemoProject {
    std::string sftDataset, pairsDataset, promptsDataset; // "arith-sft", ...
    std::string tokenizer;                                // "arith-bpe"
    TokenSplitResult splits; // the SFT dataset's token files under that tokenizer
    bool created = false;    // false: the folder held the demo already and was only completed
};

// The tokenizer's size: 256 bytes + 7 chat tokens + 7 merges ("What", " is", " +", ...): merging
// stops before digit pairs, so every number is spelt digit by digit and a model can learn to add.
inline constexpr int64_t kDemoVocabSize = 270;

// Creates the demo project at `folder` (or completes one begun there: missing datasets, the
// tokenizer and the token splits are added, nothing is redone). `log` hears each step.
DemoProject prepareDemoProject(const std::filesystem::path& folder,
                               const ArithmeticTaskOptions& task = {.maxOperand = 99},
                               const std::function<void(const std::string&)>& log = {});

} // namespace rlhf::data
