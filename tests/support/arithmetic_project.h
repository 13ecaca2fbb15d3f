// A small real project for the tests of the stages after pretraining and of the human-preference
// panes: the arithmetic task's chat, preference ("arith-pairs") and prompt datasets, a BPE
// tokenizer with the chat template's special tokens, and a tiny Llama checkpoint (seeded random
// weights) registered as a finished pretrain run, so every pane that lists checkpoints offers it.
// writeTinyLlama alone makes the tokenizer and checkpoint for tests with data of their own.
#pragma once

#include "core/data/tasks/arithmetic_task.h"
#include "core/model/checkpoint.h"
#include "core/model/transformer.h"
#include "core/store/project.h"
#include "core/text/bpe_trainer.h"
#include "core/text/tokenizer_json.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace fixtures {

// A BPE tokenizer (300 ids, the chat template's special tokens) trained on `sampleText`, saved
// as tokenizers/bpe.json, and a tiny Llama (2 layers, dim 32, seeded random weights) saved
// with it at `checkpointPath` (project-relative). Returns the tokenizer's vocabulary size.
inline int64_t writeTinyLlama(rlhf::store::Project& project, const std::string& checkpointPath,
                              const std::string& sampleText, int seed, int64_t contextLength)
{
    namespace model = rlhf::model;
    rlhf::text::TrainConfig tokenizerConfig;
    tokenizerConfig.vocabSize = 300;
    rlhf::text::BpeTrainer trainer(tokenizerConfig);
    trainer.addText(sampleText);
    const auto tokenizerFile = project.paths().tokenizers() / "bpe.json";
    const auto tokenizer = trainer.train();
    rlhf::text::saveTokenizerJson(tokenizer, tokenizerFile);

    model::ModelConfig shape;
    shape.flavour = model::Flavour::Llama;
    shape.vocabSize = tokenizer.vocabSize();
    shape.contextLength = contextLength;
    shape.layers = 2;
    shape.heads = 4;
    shape.kvHeads = 2;
    shape.dim = 32;
    torch::manual_seed(seed);
    model::Transformer transformer(shape);
    model::CheckpointContents contents;
    contents.tokenizer = tokenizerFile;
    model::saveCheckpoint(project.paths().absolute(checkpointPath), *transformer, contents);
    return tokenizer.vocabSize();
}

// Writes the project into `root` (which must not hold one); returns the project-relative path of
// its checkpoint, "checkpoints/1/step-000010". `seed` seeds the weights; `maxOperand` the task's
// size (9: 100 problems).
inline std::string writeArithmeticProject(const std::filesystem::path& root, int seed = 3,
                                          int maxOperand = 9)
{
    namespace store = rlhf::store;
    const std::string checkpointPath = "checkpoints/1/step-000010";
    rlhf::data::ArithmeticTaskOptions task;
    task.maxOperand = maxOperand;
    rlhf::data::writeArithmeticTask(root, "arith", task);
    auto project = store::Project::open(root);
    auto& database = project.database();

    const auto vocabSize =
        writeTinyLlama(project, checkpointPath,
                       "What is 3 + 4? 7. What is 12 + 9? 21. What is 45 + 45? 90.", seed, 96);
    database.addTokenizer("bpe", "tokenizers/bpe.json", vocabSize);
    const auto run = database.createRun(store::RunStage::Pretrain, "base", "{}");
    database.addCheckpoint(run, 10, checkpointPath);
    database.finishRun(run, store::RunStatus::Completed);
    return checkpointPath;
}

// A two-step DPO document over the project's arith-pairs, from `init` (writeArithmeticProject's
// checkpoint): fp32, one thread, no evaluation or checkpoints.
inline nlohmann::json tinyDpoDocument(const std::string& init, int seed = 1337)
{
    return {{"stage", "dpo"},
            {"init", init},
            {"data", {{"dataset", "arith-pairs"}, {"train", "train"}, {"val", "val"}}},
            {"optimizer", {{"lr", 0.001}, {"warmup_steps", 0}}},
            {"training",
             {{"steps", 2},
              {"batch_size", 4},
              {"seed", seed},
              {"threads", 1},
              {"precision", "fp32"},
              {"eval_every", 0},
              {"checkpoint_every", 0}}}};
}

} // namespace fixtures
