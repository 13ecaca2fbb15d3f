// `rlhf bench pretrain` and `rlhf bench gemm`: one JSON line of throughput numbers each.
// `rlhf bench import` is cmd_bench_import.cpp, `rlhf bench ppo` cmd_bench_ppo.cpp,
// `rlhf bench generate` cmd_bench_generate.cpp, `rlhf bench parallel` cmd_bench_parallel.cpp.
#include "app/cli/commands.h"
#include "app/cli/number_options.h"
#include "app/tools/pretrain_bench.h"

#include "core/train/option_ranges.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

namespace rlhf::cli {

void addBenchCommands(CLI::App& app)
{
    auto* bench = app.add_subcommand("bench", "Measure training throughput (prints JSON)");
    bench->require_subcommand(1);
    addImportBench(*bench);
    addPpoBench(*bench);
    addGenerateBench(*bench);
    addFinetuneBench(*bench);
    addParallelBench(*bench);

    auto options = std::make_shared<tools::PretrainBenchOptions>();
    auto flavour = std::make_shared<std::string>("gpt2");
    auto precision = std::make_shared<std::string>("auto");
    auto* pretrain = bench->add_subcommand("pretrain", "Time pretraining steps on random tokens");
    pretrain->add_option("--flavour", *flavour, "gpt2 or llama")->capture_default_str();
    // The limits of a pretrain document's fields of the same names (option_ranges.h).
    pretrain->add_option("--layers", options->model.layers, "Transformer blocks")
        ->capture_default_str()
        ->check(inRange(train::ranges::layers));
    pretrain->add_option("--heads", options->model.heads, "Attention heads")
        ->capture_default_str()
        ->check(inRange(train::ranges::heads));
    pretrain->add_option("--dim", options->model.dim, "Residual width")
        ->capture_default_str()
        ->check(inRange(train::ranges::dim));
    pretrain->add_option("--ctx", options->model.contextLength, "Sequence length")
        ->capture_default_str()
        ->check(inRange(train::ranges::contextLength));
    pretrain->add_option("--vocab", options->model.vocabSize, "Vocabulary size")
        ->capture_default_str()
        ->check(inRange(train::ranges::vocabSize));
    pretrain->add_option("--batch", options->batchSize, "Sequences per step")
        ->capture_default_str()
        ->check(inRange(train::ranges::batchSize));
    pretrain->add_option("--steps", options->steps, "Timed steps")
        ->capture_default_str()
        ->check(inRange(train::ranges::steps));
    pretrain->add_option("--warmup", options->warmupSteps, "Untimed steps first")
        ->capture_default_str()
        ->check(inRange(train::ranges::warmupSteps));
    addPrecisionOption(*pretrain, *precision, "auto, fp32 or bf16")->capture_default_str();
    pretrain->add_option("--threads", options->threads, "CPU threads (0 = all cores)")
        ->capture_default_str()
        ->check(inRange(train::ranges::threads));
    pretrain->add_option("--device", options->device, "auto, cpu, cuda or cuda:N")
        ->capture_default_str();
    pretrain->add_flag("--activation-checkpointing", options->activationCheckpointing,
                       "Recompute each layer in backward instead of keeping its activations");
    pretrain->callback([=] {
        options->model.flavour = model::flavourFromName(*flavour);
        options->precision = parsePrecision(*precision);
        const auto result = tools::benchPretrain(*options);
        std::cout << nlohmann::json{{"tokens_per_s", result.tokensPerSecond},
                                    {"ms_per_step", result.msPerStep},
                                    {"forward_ms", result.forwardMs},
                                    {"backward_ms", result.backwardMs},
                                    {"update_ms", result.updateMs},
                                    {"params", result.parameters},
                                    {"gflops", result.gflops},
                                    {"peak_memory_gb", result.peakMemoryGb},
                                    {"setup", result.setup}}
                         .dump()
                  << std::endl;
    });

    auto size = std::make_shared<int64_t>(1024);
    auto threads = std::make_shared<int>(0);
    auto gemmPrecision = std::make_shared<std::string>("auto");
    auto* gemm = bench->add_subcommand("gemm", "Peak matrix-multiply GFLOP/s (fp32 and bf16)");
    gemm->add_option("--size", *size, "n of the n x n x n product")->capture_default_str();
    gemm->add_option("--threads", *threads, "CPU threads (0 = all cores)")->capture_default_str();
    addPrecisionOption(*gemm, *gemmPrecision,
                       "fp32 only, bf16 only (even where emulated), or auto: fp32, and bf16 "
                       "where it is fast")
        ->capture_default_str();
    gemm->callback([=] {
        const auto result = tools::benchGemm(*size, *threads, parsePrecision(*gemmPrecision));
        std::cout << nlohmann::json{{"size", result.size},
                                    {"fp32_gflops", result.fp32Gflops},
                                    {"bf16_gflops", result.bf16Gflops},
                                    {"threads", result.threads}}
                         .dump()
                  << std::endl;
    });
}

} // namespace rlhf::cli
