// `rlhf bench generate`: KV-cached greedy decoding of one model at a few batch sizes, timed as
// time to first token and decode tokens/s, optionally beside the same decoding in PyTorch-Python
// (tests/reference/bench_generate.py) on the same checkpoint and prompts in the same run.
// Prints a short table, or with --json one JSON object.
#include "app/cli/commands.h"
#include "app/cli/json_command.h"
#include "app/tools/generate_bench.h"

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

struct GenerateBenchArguments {
    tools::GenerateBenchOptions options;
    std::string precision = "fp32";
    std::string checkpoint; // empty: a random-init model of the given shape
    std::string folder;     // empty: a temporary one
    std::string python;     // empty: no Python run
    std::string reference = "tests/reference/bench_generate.py";
    bool keep = false;
    bool json = false;
};

std::string joined(const std::vector<int64_t>& values)
{
    std::string text;
    for (const int64_t value : values)
        text += (text.empty() ? "" : ",") + std::to_string(value);
    return text;
}

// Runs the Python twin on the bench's checkpoint and prompts; returns the JSON it prints last.
nlohmann::json runPythonTwin(const GenerateBenchArguments& arguments,
                             const tools::GenerateBenchResult& ours)
{
    if (!fs::exists(arguments.reference))
        throw Error("bench generate: --reference " + arguments.reference +
                    " does not exist (run from the repository root or pass --reference)");
    const auto& options = arguments.options;
    const std::string command =
        arguments.python + " '" + arguments.reference + "' --checkpoint '" +
        ours.checkpoint.string() + "' --prompts '" + ours.promptsFile.string() + "' --batch " +
        joined(options.batchSizes) + " --new " + std::to_string(options.newTokens) + " --repeats " +
        std::to_string(options.repeats) + " --warmup " + std::to_string(options.warmup) +
        " --threads " + std::to_string(ours.threads) + " --device " +
        (ours.setup.rfind("cuda", 0) == 0 ? "cuda" : "cpu") + " 2>&1";
    return runJsonCommand(command);
}

// Fraction of new tokens where two runs' greedy choices agree (same shape expected).
double agreement(const std::vector<std::vector<int64_t>>& ours, const nlohmann::json& theirs)
{
    int64_t same = 0, total = 0;
    for (size_t row = 0; row < ours.size() && row < theirs.size(); ++row)
        for (size_t i = 0; i < ours[row].size() && i < theirs[row].size(); ++i, ++total)
            same += ours[row][i] == theirs[row][i].get<int64_t>();
    return total ? double(same) / double(total) : 0.0;
}

nlohmann::json report(const GenerateBenchArguments& arguments,
                      const tools::GenerateBenchResult& result)
{
    const auto& options = arguments.options;
    nlohmann::json batches = nlohmann::json::array();
    for (const auto& batch : result.batches) {
        nlohmann::json runs = nlohmann::json::array();
        for (const auto& run : batch.runs)
            runs.push_back({{"ttft_ms", run.firstTokenMs},
                            {"decode_s", run.decodeSeconds},
                            {"decode_tokens_per_s", run.decodeTokensPerSecond},
                            {"decode_cpu_s", run.decodeCpuSeconds}});
        batches.push_back({{"batch", batch.batchSize},
                           {"ttft_ms", batch.firstTokenMs},
                           {"decode_tokens_per_s", batch.decodeTokensPerSecond},
                           {"best_decode_tokens_per_s", batch.bestDecodeTokensPerSecond},
                           {"decode_tokens_per_cpu_s", batch.decodeTokensPerCpuSecond},
                           {"runs", runs}});
    }
    return {
        {"shape",
         {{"layers", result.layers},
          {"heads", result.heads},
          {"dim", result.dim},
          {"ctx", result.contextLength},
          {"vocab", result.vocab},
          {"params", result.parameters},
          {"prompt_tokens", options.promptTokens},
          {"new_tokens", options.newTokens},
          {"repeats", options.repeats},
          {"warmup", options.warmup},
          {"sampling", "greedy"}}},
        {"ours", {{"setup", result.setup}, {"threads", result.threads}, {"batches", batches}}},
    };
}

// Adds the Python twin's numbers and, per batch size, ours / Python (> 1: ours is faster) and
// the agreement of the greedy tokens (1 when both decode the same model the same way).
void addPython(nlohmann::json& json, const nlohmann::json& python,
               const tools::GenerateBenchResult& ours)
{
    nlohmann::json comparison = nlohmann::json::array();
    for (size_t i = 0; i < ours.batches.size(); ++i) {
        const auto& batch = ours.batches[i];
        const auto& twin = python.at("batches").at(i);
        comparison.push_back(
            {{"batch", batch.batchSize},
             {"decode_speedup",
              batch.decodeTokensPerSecond / twin.at("decode_tokens_per_s").get<double>()},
             {"best_decode_speedup",
              batch.bestDecodeTokensPerSecond / twin.at("best_decode_tokens_per_s").get<double>()},
             {"cpu_decode_speedup",
              batch.decodeTokensPerCpuSecond / twin.at("decode_tokens_per_cpu_s").get<double>()},
             {"ttft_speedup", twin.at("ttft_ms").get<double>() / batch.firstTokenMs},
             {"tokens_agree", agreement(batch.tokens, twin.at("tokens"))}});
    }
    json["python"] = python;
    json["python"].erase("batches");
    json["python"]["batches"] = nlohmann::json::array();
    for (auto twin : python.at("batches")) {
        twin.erase("tokens"); // compared above; too long to print
        json["python"]["batches"].push_back(twin);
    }
    json["vs_python"] = comparison;
}

void printTable(const nlohmann::json& json)
{
    std::printf("%s, %s\n", json["ours"]["setup"].get<std::string>().c_str(),
                json["shape"].dump().c_str());
    std::printf("%-8s %6s %10s %14s %12s %12s\n", "", "batch", "TTFT ms", "decode tok/s",
                "best tok/s", "tok/CPU-s");
    auto rows = [](const char* who, const nlohmann::json& batches) {
        for (const auto& batch : batches)
            std::printf("%-8s %6lld %10.2f %14.1f %12.1f %12.1f\n", who,
                        static_cast<long long>(batch["batch"].get<int64_t>()),
                        batch["ttft_ms"].get<double>(), batch["decode_tokens_per_s"].get<double>(),
                        batch["best_decode_tokens_per_s"].get<double>(),
                        batch["decode_tokens_per_cpu_s"].get<double>());
    };
    rows("ours", json["ours"]["batches"]);
    if (!json.contains("python")) return;
    rows("pytorch", json["python"]["batches"]);
    for (const auto& row : json["vs_python"])
        std::printf("batch %lld: decode %.2fx (best %.2fx, per CPU-s %.2fx), TTFT %.2fx, tokens "
                    "agree %.3f\n",
                    static_cast<long long>(row["batch"].get<int64_t>()),
                    row["decode_speedup"].get<double>(), row["best_decode_speedup"].get<double>(),
                    row["cpu_decode_speedup"].get<double>(), row["ttft_speedup"].get<double>(),
                    row["tokens_agree"].get<double>());
}

void runGenerateBench(const GenerateBenchArguments& arguments)
{
    GenerateBenchArguments run = arguments;
    run.options.precision = parsePrecision(run.precision);
    run.options.checkpoint = run.checkpoint;
    const bool temporary = run.folder.empty();
    run.options.folder =
        temporary ? fs::temp_directory_path() / ("rlhf-bench-generate-" + std::to_string(getpid()))
                  : fs::path(run.folder);
    auto cleanUp = [&] {
        if (temporary && !run.keep) fs::remove_all(run.options.folder);
    };
    try {
        const double loadBefore = loadAverage();
        const tools::GenerateBenchResult result = tools::benchGenerate(run.options);
        nlohmann::json json = report(run, result);
        json["load_average"] = {{"before", loadBefore}, {"after_ours", loadAverage()}};
        if (!run.python.empty()) {
            addPython(json, runPythonTwin(run, result), result);
            json["load_average"]["after_python"] = loadAverage();
        }
        cleanUp();
        if (run.json)
            std::cout << json.dump(2) << std::endl;
        else
            printTable(json);
    } catch (...) {
        cleanUp();
        throw;
    }
}

} // namespace

void addGenerateBench(CLI::App& bench)
{
    auto arguments = std::make_shared<GenerateBenchArguments>();
    auto& options = arguments->options;
    auto* generate = bench.add_subcommand(
        "generate", "Time KV-cached decoding (time to first token, decode tokens/s)");
    generate->add_option("--batch", options.batchSizes, "Batch sizes, e.g. 1,8")
        ->delimiter(',')
        ->capture_default_str();
    generate->add_option("--prompt", options.promptTokens, "Tokens of every prompt")
        ->capture_default_str();
    generate->add_option("--new", options.newTokens, "New tokens per row")->capture_default_str();
    generate->add_option("--repeats", options.repeats, "Timed runs per batch size")
        ->capture_default_str();
    generate->add_option("--warmup", options.warmup, "Untimed runs first")->capture_default_str();
    generate->add_option("--checkpoint", arguments->checkpoint,
                         "Decode this checkpoint instead of a random-init model");
    generate->add_option("--layers", options.layers, "Transformer blocks (random init)")
        ->capture_default_str();
    generate->add_option("--heads", options.heads, "Attention heads")->capture_default_str();
    generate->add_option("--dim", options.dim, "Residual width")->capture_default_str();
    generate->add_option("--ctx", options.contextLength, "Context length")->capture_default_str();
    generate->add_option("--vocab", options.vocab, "Vocabulary size")->capture_default_str();
    generate->add_option("--seed", options.seed, "Weights and prompts")->capture_default_str();
    addPrecisionOption(*generate, arguments->precision, "auto, fp32 or bf16")
        ->capture_default_str();
    generate->add_option("--threads", options.threads, "CPU threads (0 = all cores)")
        ->capture_default_str();
    generate->add_option("--device", options.device, "auto, cpu, cuda or cuda:N")
        ->capture_default_str();
    generate->add_option("--dir", arguments->folder,
                         "Scratch folder (must not exist; default: a temporary one)");
    generate->add_flag("--keep", arguments->keep, "Keep the temporary folder");
    generate->add_option("--python", arguments->python,
                         "Python with torch: also run --reference on the same checkpoint");
    generate->add_option("--reference", arguments->reference, "The PyTorch-Python twin")
        ->capture_default_str();
    generate->add_flag("--json", arguments->json, "Print one JSON object instead of a table");
    generate->callback([arguments] { runGenerateBench(*arguments); });
}

} // namespace rlhf::cli
