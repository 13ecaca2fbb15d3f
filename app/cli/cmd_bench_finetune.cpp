// `rlhf bench finetune -c FOLDER`: the time and memory to load a model folder and to run full
// fine-tuning steps on it, as one JSON line (app/tools/finetune_bench.h).
#include "app/cli/commands.h"
#include "app/cli/number_options.h"
#include "app/tools/finetune_bench.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/train/option_ranges.h"
#include "core/util/error.h"

#include <iostream>
#include <string>
#include <vector>

namespace rlhf::cli {

void addFinetuneBench(CLI::App& bench)
{
    auto options = std::make_shared<tools::FinetuneBenchOptions>();
    auto precision = std::make_shared<std::string>("auto");
    auto checkpoint = std::make_shared<std::string>();
    auto* command = bench.add_subcommand(
        "finetune", "Load a model folder and time full fine-tuning steps on random tokens");
    command->add_option("-c,--checkpoint", *checkpoint, "Model folder (Hugging Face layout)")
        ->required()
        ->check(CLI::ExistingDirectory);
    command->add_option("--batch", options->batchSize, "Sequences per step")
        ->capture_default_str()
        ->check(inRange(train::ranges::batchSize));
    command->add_option("--length", options->length, "Tokens per sequence")
        ->capture_default_str()
        ->check(inRange(train::ranges::contextLength));
    command->add_option("--steps", options->steps, "Steps (the first allocates AdamW's state)")
        ->capture_default_str()
        ->check(inRange(train::ranges::steps));
    addPrecisionOption(*command, *precision, "auto, fp32 or bf16")->capture_default_str();
    command->add_option("--threads", options->threads, "CPU threads (0 = all cores)")
        ->capture_default_str()
        ->check(inRange(train::ranges::threads));
    command->add_option("--device", options->device, deviceHelp)->capture_default_str();
    command->add_flag("--activation-checkpointing", options->activationCheckpointing,
                      "Recompute each layer in backward instead of keeping its activations");
    auto loraRank = std::make_shared<int64_t>(0);
    auto loraBase = std::make_shared<std::string>("fp32");
    auto loraTargets = std::make_shared<std::vector<std::string>>(1, "all-linear");
    command
        ->add_option("--lora", *loraRank,
                     "LoRA rank: train adapters on the frozen base (0: every weight)")
        ->capture_default_str();
    command
        ->add_option("--lora-base", *loraBase,
                     "How LoRA's frozen base is held: fp32, bf16, nf4 or int8")
        ->capture_default_str();
    command
        ->add_option("--lora-targets", *loraTargets,
                     "Layers with adapters: all-linear, or names joined by commas (q_proj,v_proj)")
        ->delimiter(',')
        ->capture_default_str();
    command->callback([=] {
        if (*loraRank > 0) {
            train::LoraOptions& lora = options->lora.emplace();
            lora.adapter.rank = *loraRank;
            lora.adapter.alpha = 2.0 * double(*loraRank);
            lora.adapter.targetModules = *loraTargets;
            const auto base = findWord(train::baseStorageWords, *loraBase);
            if (!base)
                throw Error("--lora-base: expected fp32, bf16, nf4 or int8, got " + *loraBase);
            lora.base = *base;
        }
        options->checkpoint = *checkpoint;
        options->precision = parsePrecision(*precision);
        const auto result = tools::benchFinetune(*options);
        std::cout << nlohmann::json{{"family", result.family},
                                    {"params", result.parameters},
                                    {"trained_params", result.trainedParameters},
                                    {"weights_gb", result.weightsGb},
                                    {"lora", options->lora
                                                 ? nlohmann::json{{"rank", *loraRank},
                                                                  {"base", *loraBase},
                                                                  {"targets", *loraTargets}}
                                                 : nlohmann::json()},
                                    {"load_s", result.loadSeconds},
                                    {"load_peak_memory_gb", result.loadPeakMemoryGb},
                                    {"first_step_s", result.firstStepSeconds},
                                    {"step_s", result.stepSeconds},
                                    {"peak_memory_gb", result.peakMemoryGb},
                                    {"resident_after_gb", result.residentAfterGb},
                                    {"first_loss", result.firstLoss},
                                    {"setup", result.setup}}
                         .dump()
                  << std::endl;
    });
}

} // namespace rlhf::cli
