// `rlhf bench ppo`: one PPO iteration of a fixed shape through the real stage, timed with its
// generation / optimisation split, optionally beside the same iteration in PyTorch-Python
// (tests/reference/bench_ppo.py) on the same checkpoint in the same run. Prints one JSON object.
#include "app/cli/commands.h"
#include "app/cli/json_command.h"
#include "app/tools/ppo_bench.h"

#include "core/util/error.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace rlhf::cli {

namespace fs = std::filesystem;

namespace {

struct PpoBenchArguments {
    tools::PpoBenchOptions options;
    std::string folder; // empty: a temporary one
    std::string python; // empty: no Python run
    std::string reference = "tests/reference/bench_ppo.py";
    bool keep = false;
};

// Runs the Python twin on the bench's checkpoint and prompts; returns the JSON it prints last.
nlohmann::json runPythonTwin(const PpoBenchArguments& arguments, const tools::PpoBenchResult& ours)
{
    if (!fs::exists(arguments.reference))
        throw Error("bench ppo: --reference " + arguments.reference +
                    " does not exist (run from the repository root or pass --reference)");
    const auto& options = arguments.options;
    const std::string command =
        arguments.python + " '" + arguments.reference + "' --checkpoint '" +
        ours.checkpoint.string() + "' --prompts '" + ours.promptsFile.string() + "' --batch " +
        std::to_string(options.batchSize) + " --new-tokens " +
        std::to_string(options.maxNewTokens) + " --epochs " + std::to_string(options.epochs) +
        " --minibatch " + std::to_string(options.minibatchSize) + " --iterations " +
        std::to_string(options.iterations) + " --warmup " + std::to_string(options.warmup) +
        (options.threads > 0 ? " --threads " + std::to_string(options.threads) : "") + " 2>&1";
    return runJsonCommand(command);
}

nlohmann::json report(const PpoBenchArguments& arguments, const tools::PpoBenchResult& result)
{
    const auto& options = arguments.options;
    nlohmann::json iterations = nlohmann::json::array();
    for (const auto& iteration : result.iterations)
        iterations.push_back({{"generation_s", iteration.generationSeconds},
                              {"optimisation_s", iteration.optimisationSeconds},
                              {"response_length", iteration.responseLength}});
    return {
        {"shape",
         {{"layers", options.layers},
          {"heads", options.heads},
          {"dim", options.dim},
          {"ctx", options.contextLength},
          {"vocab", result.modelVocab},
          {"params", result.parameters},
          {"batch", options.batchSize},
          {"prompt_tokens", options.promptTokens},
          {"max_new_tokens", options.maxNewTokens},
          {"epochs", options.epochs},
          {"minibatch", options.minibatchSize},
          {"iterations", options.iterations},
          {"warmup", options.warmup}}},
        {"ours",
         {{"generation_s", result.generationSeconds},
          {"optimisation_s", result.optimisationSeconds},
          {"total_s", result.totalSeconds},
          {"best_total_s", result.bestTotalSeconds},
          {"generation_tokens_per_s", result.generationTokensPerSecond},
          {"response_length", result.responseLength},
          {"setup", result.setup},
          {"iterations", iterations}}},
    };
}

void runPpoBench(const PpoBenchArguments& arguments)
{
    PpoBenchArguments run = arguments;
    const bool temporary = run.folder.empty();
    run.options.folder =
        temporary ? fs::temp_directory_path() / ("rlhf-bench-ppo-" + std::to_string(getpid()))
                  : fs::path(run.folder);
    auto cleanUp = [&] {
        if (temporary && !run.keep) fs::remove_all(run.options.folder);
    };
    try {
        const double loadBefore = loadAverage();
        const tools::PpoBenchResult result = tools::benchPpo(run.options);
        nlohmann::json json = report(run, result);
        json["load_average"] = {{"before", loadBefore}, {"after_ours", loadAverage()}};
        if (!run.python.empty()) {
            json["python"] = runPythonTwin(run, result);
            const auto& python = json["python"];
            // > 1: ours is faster than PyTorch-Python on the same iteration.
            json["speedup_vs_python"] = {
                {"generation", python["generation_s"].get<double>() / result.generationSeconds},
                {"optimisation",
                 python["optimisation_s"].get<double>() / result.optimisationSeconds},
                {"total", python["total_s"].get<double>() / result.totalSeconds},
                {"best_total", python["best_total_s"].get<double>() / result.bestTotalSeconds}};
            json["load_average"]["after_python"] = loadAverage();
        }
        cleanUp();
        std::cout << json.dump(2) << std::endl;
    } catch (...) {
        cleanUp();
        throw;
    }
}

} // namespace

void addPpoBench(CLI::App& bench)
{
    auto arguments = std::make_shared<PpoBenchArguments>();
    auto& options = arguments->options;
    auto* ppo = bench.add_subcommand("ppo", "Time PPO iterations (generation / optimisation)");
    ppo->add_option("--layers", options.layers, "Transformer blocks")->capture_default_str();
    ppo->add_option("--heads", options.heads, "Attention heads")->capture_default_str();
    ppo->add_option("--dim", options.dim, "Residual width")->capture_default_str();
    ppo->add_option("--ctx", options.contextLength, "Context length")->capture_default_str();
    ppo->add_option("--tokenizer-vocab", options.tokenizerVocab, "BPE vocabulary to train")
        ->capture_default_str();
    ppo->add_option("--prompts", options.promptCount, "Prompts in the dataset")
        ->capture_default_str();
    ppo->add_option("--prompt-tokens", options.promptTokens, "Tokens of every prompt")
        ->capture_default_str();
    ppo->add_option("--batch", options.batchSize, "Prompts per iteration")->capture_default_str();
    ppo->add_option("--new-tokens", options.maxNewTokens, "Reply length limit")
        ->capture_default_str();
    ppo->add_option("--epochs", options.epochs, "PPO epochs per iteration")->capture_default_str();
    ppo->add_option("--minibatch", options.minibatchSize, "Rollouts per minibatch")
        ->capture_default_str();
    ppo->add_option("--iterations", options.iterations, "Timed iterations")->capture_default_str();
    ppo->add_option("--warmup", options.warmup, "Untimed iterations first")->capture_default_str();
    addPrecisionOption(*ppo, options.precision, "auto, fp32 or bf16")->capture_default_str();
    ppo->add_option("--threads", options.threads, "CPU threads (0 = all cores)")
        ->capture_default_str();
    ppo->add_option("--device", options.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
    ppo->add_option("--dir", arguments->folder,
                    "Scratch project folder (must not exist; default: a temporary one)");
    ppo->add_flag("--keep", arguments->keep, "Keep the temporary project folder");
    ppo->add_option("--python", arguments->python,
                    "Python with torch: also run --reference on the same checkpoint");
    ppo->add_option("--reference", arguments->reference, "The PyTorch-Python twin")
        ->capture_default_str();
    ppo->callback([arguments] { runPpoBench(*arguments); });
}

} // namespace rlhf::cli
