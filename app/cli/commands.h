// The `rlhf` subcommands, one adder per file (cmd_<group>.cpp), wired together by main.cpp.
#pragma once

#include "core/gen/decode_precision.h"
#include "core/train/pretrain_config.h"

#include <string>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace rlhf::cli {

void addBenchCommands(CLI::App& app);   // cmd_bench.cpp: bench pretrain, bench gemm
void addDataCommands(CLI::App& app);    // cmd_data.cpp: init, tokenizer train, tokenize
void addImportCommands(CLI::App& app);  // cmd_import.cpp: import, quarantine
void addImportBench(CLI::App& bench);   // cmd_bench_import.cpp: bench import
void addPpoBench(CLI::App& bench);      // cmd_bench_ppo.cpp: bench ppo
void addGenerateBench(CLI::App& bench); // cmd_bench_generate.cpp: bench generate
void addFinetuneBench(CLI::App& bench); // cmd_bench_finetune.cpp: bench finetune
void addParallelBench(CLI::App& bench); // cmd_bench_parallel.cpp: bench parallel
void addTrainCommand(CLI::App& app);    // cmd_train.cpp: train
void addGenerateCommand(CLI::App& app); // cmd_generate.cpp: generate
void addChatCommand(CLI::App& app);     // cmd_chat.cpp: chat
void addDemoCommand(CLI::App& app);     // cmd_demo.cpp: demo
void addTaskCommands(CLI::App& app);    // cmd_task.cpp: task arithmetic
void addModelCommands(CLI::App& app);   // cmd_model.cpp: model info
void addExportCommand(CLI::App& app);   // cmd_export.cpp: export (gguf, hf)
// cmd_labels.cpp: labels queue, labels export, labels list. Returns the `labels` group so
// other files can add their subcommands to it.
CLI::App* addLabelCommands(CLI::App& app);
void addArenaCommands(CLI::App& app); // cmd_arena.cpp: arena leaderboard
// cmd_feedback.cpp: feedback export, feedback improve
void addFeedbackCommands(CLI::App& app);
// cmd_label_agreement.cpp: labels agreement, added to the `labels` group (addLabelCommands)
void addLabelAgreement(CLI::App& labels);
void addLabelSample(CLI::App& labels); // cmd_label_sample.cpp: labels sample

// precision_option.cpp: "auto" / "fp32" / "bf16" -> Precision; throws rlhf::Error otherwise.
train::Precision parsePrecision(const std::string& name);
// Adds --precision to `command`, read into `word`; CLI11 refuses any word but auto, fp32 or bf16
// with "--precision: expected auto, fp32 or bf16, got ...".
CLI::Option* addPrecisionOption(CLI::App& command, std::string& word, const std::string& help);

// --device and --precision of the commands that decode (generate, chat): device "auto" is GPU 0
// when there is one, else the CPU; precision "auto" is bf16 on a GPU, else
// gen::autoDecodePrecision(). Throws rlhf::Error naming the option for a word it does not know.
gen::DecodeSetup decodeSetup(const std::string& device, const std::string& precision);
inline constexpr const char* deviceHelp = "auto (GPU 0 when present), cpu, cuda or cuda:N";
inline constexpr const char* precisionHelp =
    "auto (bf16 where the CPU has AVX-512 BF16), fp32 or bf16";

} // namespace rlhf::cli
