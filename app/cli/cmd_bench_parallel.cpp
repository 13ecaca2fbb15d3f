// `rlhf bench parallel`: what data-parallel training costs and gains on this machine, as one JSON
// line. It measures the link (one TCP stream over 127.0.0.1 between two processes, and memcpy),
// the communicator's allReduceMean over N local ranks (Gloo) for several message sizes with
// nccl-tests' algorithm and bus bandwidth, and weak scaling of real `rlhf train --nproc N`
// pretraining runs in a scratch project, read back from its database. Optionally the PyTorch
// DDP twin (tests/reference/bench_ddp.py) runs beside it. CPU ranks only; it asserts nothing.
#include "app/cli/commands.h"
#include "app/cli/json_command.h"
#include "app/cli/link_bandwidth.h"
#include "app/cli/worker_launcher.h"

#include "core/dist/process_group.h"
#include "core/model/torch_runtime.h"
#include "core/model/transformer.h"
#include "core/store/project.h"
#include "core/store/token_file.h"
#include "core/train/stage_runner.h"
#include "core/util/cpu_features.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <vector>

namespace rlhf::cli {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json; // fields in the order written: setup, link, results

constexpr double mebibyte = 1 << 20;                // message sizes are given in MiB
constexpr double gigabyte = 1e9;                    // bandwidths in GB/s, as nccl-tests prints
constexpr size_t linkStreamBytes = size_t{1} << 30; // one TCP stream over loopback: 1 GiB
constexpr size_t memcpyBytes = size_t{256} << 20;   // far beyond any cache

// The model of the scaling runs: the shape TOOLCHAIN.md's step-time table uses.
model::ModelConfig defaultModel()
{
    model::ModelConfig config;
    config.layers = 2;
    config.heads = 4;
    config.dim = 256;
    config.contextLength = 128;
    config.vocabSize = 4096;
    return config;
}

struct ParallelBenchArguments {
    std::vector<int> ranks{1, 2, 4};             // processes of each scaling run; 1 is the baseline
    std::vector<double> sizesMib{1, 4, 25, 100}; // all-reduce messages, MiB of fp32
    int repeats = 5;                             // timed all-reduces per message
    model::ModelConfig model = defaultModel();   // GPT-2 flavour
    int64_t batchSize = 8;                       // sequences per rank and step (weak scaling)
    int64_t steps = 10;                          // timed steps of each scaling run
    int64_t warmupSteps = 3;                     // untimed steps first
    std::string precision = "auto";
    int threads = 0;    // CPU threads per rank; 0 = cores / ranks, at least 1
    std::string folder; // scratch project; empty: a temporary one
    bool keep = false;  // keep a temporary project
    std::string python; // empty: no PyTorch twin
    std::string reference = "tests/reference/bench_ddp.py";
};

// What one rank of `bench allreduce-rank` needs: the messages, the model whose gradients it
// averages, and where rank 0 writes its JSON.
struct AllReduceRankArguments {
    std::vector<double> sizesMib;
    int repeats = 5;
    model::ModelConfig model = defaultModel();
    int threads = 1;
    std::string out;
};

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// nccl-tests' all-reduce bus bandwidth factor: each rank sends and receives 2(N-1)/N of the
// message in a ring, so busbw is comparable with the link's bandwidth at any N.
double busFactor(int ranks)
{
    return 2.0 * (ranks - 1) / ranks;
}

int threadsPerRank(int requested, int ranks)
{
    return requested > 0 ? requested : std::max(1, availableCores() / ranks);
}

std::string joined(const std::vector<double>& values)
{
    std::string text;
    for (const double value : values) {
        char number[32];
        std::snprintf(number, sizeof(number), "%s%g", text.empty() ? "" : ",", value);
        text += number;
    }
    return text;
}

Json measureLink()
{
    return {{"tcp_loopback_gb_per_s", tcpLoopbackBytesPerSecond(linkStreamBytes) / gigabyte},
            {"memcpy_gb_per_s", memcpyBytesPerSecond(memcpyBytes) / gigabyte},
            {"compared",
             "busbw against one TCP stream of 1 GiB over 127.0.0.1 between two processes, the "
             "link Gloo's ring runs over here; memcpy: one thread, 256 MiB, bytes copied per s"}};
}

// --- One rank of the all-reduce measurement (`bench allreduce-rank`, started by the launcher).

// Mean milliseconds of one allReduceMean of `tensors` over `repeats` calls, after an untimed one
// (Gloo makes its buffers on the first) and a barrier (all ranks start together).
double allReduceMs(dist::Communicator& communicator, const std::vector<at::Tensor>& tensors,
                   int repeats)
{
    communicator.allReduceMean(tensors);
    communicator.barrier();
    const auto start = Clock::now();
    for (int repeat = 0; repeat < repeats; ++repeat)
        communicator.allReduceMean(tensors);
    return secondsSince(start) * 1e3 / repeats;
}

Json messageRow(double sizeMib, int64_t bytes, double ms, int ranks)
{
    const double algbw = double(bytes) / (ms * 1e-3) / gigabyte;
    return {{"ranks", ranks},          {"size_mib", sizeMib},
            {"bytes", bytes},          {"ms", ms},
            {"algbw_gb_per_s", algbw}, {"busbw_gb_per_s", algbw * busFactor(ranks)}};
}

void runAllReduceRank(const AllReduceRankArguments& arguments)
{
    const auto job = dist::rendezvousFromEnvironment();
    if (!job || job->worldSize < 2)
        throw Error("bench allreduce-rank: not a rank of a job of 2 or more processes "
                    "(`rlhf bench parallel` starts it)");
    const int threads = model::setComputeThreads(arguments.threads);
    dist::ProcessGroupCommunicator communicator(*job);
    Json rows = Json::array();
    for (const double sizeMib : arguments.sizesMib) {
        const int64_t elements =
            std::max<int64_t>(1, std::llround(sizeMib * mebibyte / sizeof(float)));
        const double ms = allReduceMs(communicator, {at::ones({elements})}, arguments.repeats);
        rows.push_back(messageRow(sizeMib, elements * int64_t(sizeof(float)), ms, job->worldSize));
    }
    // The list Trainer::update averages every step: one gradient per parameter of the model.
    model::Transformer model(arguments.model);
    std::vector<at::Tensor> gradients;
    int64_t elements = 0;
    for (const at::Tensor& parameter : model->parameters()) {
        gradients.push_back(at::zeros_like(parameter));
        elements += parameter.numel();
    }
    const double gradientMs = allReduceMs(communicator, gradients, arguments.repeats);
    if (job->rank != 0) return;
    std::ofstream out(arguments.out);
    out << Json{{"threads", threads},
                {"messages", rows},
                {"gradient",
                 {{"tensors", gradients.size()},
                  {"params", elements},
                  {"bytes", elements * int64_t(sizeof(float))},
                  {"ms", gradientMs}}}}
               .dump();
    if (!out) throw Error("bench allreduce-rank: cannot write " + arguments.out);
}

// --- The scaling runs: real pretraining documents through `rlhf train --nproc N`.

// While alive, standard output of this process and of the ranks it starts goes to `file`: their
// progress lines stay out of the one JSON line this command prints.
class StdoutToFile {
public:
    explicit StdoutToFile(const fs::path& file)
    {
        std::cout.flush();
        std::fflush(stdout);
        const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0) throw Error("bench parallel: cannot write " + file.string());
        m_saved = dup(STDOUT_FILENO);
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    ~StdoutToFile()
    {
        std::cout.flush();
        std::fflush(stdout);
        dup2(m_saved, STDOUT_FILENO);
        close(m_saved);
    }
    StdoutToFile(const StdoutToFile&) = delete;
    StdoutToFile& operator=(const StdoutToFile&) = delete;

private:
    int m_saved = -1;
};

// Runs `arguments` of this executable as `ranks` local ranks, their output in the project's
// bench.log; a failure names `what` and where the log is.
void launchRanks(int ranks, const std::vector<std::string>& arguments, const fs::path& root,
                 const std::string& what)
{
    const fs::path log = root / "bench.log";
    StdoutToFile redirect(log);
    withContext("bench parallel: " + what + " (output in " + log.string() + ")",
                [&] { runLocalWorkers(ranks, arguments); });
}

// Random tokens, enough that the windows of a step of the largest job rarely overlap.
void writeBenchTokens(const fs::path& file, const ParallelBenchArguments& arguments)
{
    const int64_t window = arguments.model.contextLength + 1;
    const int64_t tokens =
        std::max<int64_t>(1 << 16, 8 * window * arguments.batchSize * arguments.ranks.back());
    std::mt19937 random(1337);
    std::uniform_int_distribution<uint32_t> token(0, uint32_t(arguments.model.vocabSize - 1));
    store::TokenFileWriter writer(file);
    for (int64_t i = 0; i < tokens; ++i)
        writer.append(token(random));
    writer.commit();
}

// How the gradients meet across ranks: while the last backward runs (the default) or after it.
enum class Reduction { DuringBackward, AfterBackward };

std::string runName(int ranks, Reduction reduction)
{
    return "bench-parallel-" + std::to_string(ranks) +
           (reduction == Reduction::AfterBackward ? "-after-backward" : "");
}

// The pretraining document of the run with `ranks` processes: CPU, no evaluation, one
// checkpoint after the last timed step.
Json pretrainDocument(const ParallelBenchArguments& arguments, int ranks,
                      Reduction reduction = Reduction::DuringBackward)
{
    const model::ModelConfig& model = arguments.model;
    const int64_t steps = arguments.warmupSteps + arguments.steps;
    return {{"stage", "pretrain"},
            {"name", runName(ranks, reduction)},
            {"data", {{"train", "tokens/bench-parallel.u32"}}},
            {"model",
             {{"flavour", "gpt2"},
              {"vocab_size", model.vocabSize},
              {"context_length", model.contextLength},
              {"layers", model.layers},
              {"heads", model.heads},
              {"dim", model.dim}}},
            {"optimizer", {{"lr", 1e-4}, {"warmup_steps", 0}}},
            {"training",
             {{"steps", steps},
              {"batch_size", arguments.batchSize},
              {"precision", arguments.precision},
              {"threads", threadsPerRank(arguments.threads, ranks)},
              {"device", "cpu"},
              {"log_every", steps},
              {"eval_every", 0},
              {"checkpoint_every", 0},
              {"overlap_gradient_reduction", reduction == Reduction::DuringBackward}}}};
}

// Median seconds of the run's timed steps (those after the warmup), from its time/step_s series.
double medianStepSeconds(const fs::path& root, const std::string& name, int64_t warmupSteps)
{
    store::Database database(root / "project.sqlite", store::OpenMode::ExistingOnly);
    for (const auto& run : database.runs()) {
        if (run.name != name) continue;
        std::vector<double> seconds;
        for (const auto& sample : database.metricSeries(run.id, "time/step_s"))
            if (sample.step > warmupSteps) seconds.push_back(sample.value);
        if (seconds.empty()) break;
        std::sort(seconds.begin(), seconds.end());
        return seconds[seconds.size() / 2];
    }
    throw Error("bench parallel: run " + name + " recorded no timed steps");
}

// Trains the job of `ranks` processes; the median seconds of its timed steps.
double stepSeconds(const ParallelBenchArguments& arguments, const fs::path& root, int ranks,
                   Reduction reduction)
{
    const std::string name = runName(ranks, reduction);
    const fs::path document = root / (name + ".json");
    std::ofstream(document) << pretrainDocument(arguments, ranks, reduction).dump(2);
    launchRanks(ranks, {"train", document.string(), "-p", root.string()}, root,
                "training with " + std::to_string(ranks) + " ranks" +
                    (reduction == Reduction::AfterBackward ? ", reducing after backward" : ""));
    return medianStepSeconds(root, name, arguments.warmupSteps);
}

// A job of 2 or more ranks runs twice: gradients reduced during backward (the row's numbers)
// and after it, as without the overlap (`*_after_backward`).
Json scalingRow(const ParallelBenchArguments& arguments, const fs::path& root, int ranks)
{
    const double seconds = stepSeconds(arguments, root, ranks, Reduction::DuringBackward);
    const int64_t tokens = ranks * arguments.batchSize * arguments.model.contextLength;
    const int threads = threadsPerRank(arguments.threads, ranks);
    Json row = {{"ranks", ranks},
                {"threads_per_rank", threads},
                {"oversubscribed", ranks * threads > availableCores()},
                {"tokens_per_step", tokens},
                {"ms_per_step", seconds * 1e3},
                {"tokens_per_s", double(tokens) / seconds}};
    if (ranks > 1) {
        const double after = stepSeconds(arguments, root, ranks, Reduction::AfterBackward);
        row["ms_per_step_after_backward"] = after * 1e3;
        row["tokens_per_s_after_backward"] = double(tokens) / after;
    }
    return row;
}

// --- The whole benchmark.

void checkArguments(ParallelBenchArguments& arguments)
{
    auto& ranks = arguments.ranks;
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    if (ranks.empty() || ranks.front() < 1)
        throw Error("--ranks: process counts must be 1 or more, e.g. 1,2,4");
    if (ranks.front() != 1)
        throw Error("--ranks: must include 1, the baseline of the scaling efficiency");
    for (const double size : arguments.sizesMib)
        if (!(size > 0)) throw Error("--sizes-mb: sizes must be positive, e.g. 1,4,25,100");
    if (arguments.repeats < 1) throw Error("--repeats: must be 1 or more");
    if (arguments.steps < 1) throw Error("--steps: must be 1 or more");
    if (arguments.warmupSteps < 0) throw Error("--warmup: must not be negative");
    if (arguments.threads < 0) throw Error("--threads: must not be negative (0 = cores / ranks)");
    // The shape, batch and precision as `rlhf train` would refuse them, before anything starts.
    train::validateStageDocument(pretrainDocument(arguments, ranks.back()), "bench parallel");
}

// The shared numbers of every row: what was measured, how, on what.
Json setupJson(const ParallelBenchArguments& arguments)
{
    const model::ModelConfig& model = arguments.model;
    return {{"cores", availableCores()},
            {"transport", "Gloo over TCP on 127.0.0.1, ranks on one machine, CPU tensors"},
            {"model",
             {{"flavour", "gpt2"},
              {"layers", model.layers},
              {"heads", model.heads},
              {"dim", model.dim},
              {"ctx", model.contextLength},
              {"vocab", model.vocabSize}}},
            {"batch_per_rank", arguments.batchSize},
            {"steps", arguments.steps},
            {"warmup", arguments.warmupSteps},
            {"precision", arguments.precision},
            {"threads_per_rank", arguments.threads > 0 ? std::to_string(arguments.threads)
                                                       : "cores / ranks, at least 1"},
            {"allreduce_repeats", arguments.repeats},
            {"units", "MiB = 2^20 bytes; GB/s = 1e9 bytes/s; busbw = algbw * 2(N-1)/N "
                      "(nccl-tests); efficiency = tokens/s(N) / (N * tokens/s(1)), weak scaling; "
                      "efficiency_bound: what compute alone allows, min(cores, N * threads) / "
                      "(N * min(cores, threads of 1 rank))"}};
}

// The all-reduce rows of every job of 2 or more ranks, and each job's gradient all-reduce time.
Json measureAllReduce(const ParallelBenchArguments& arguments, const fs::path& root,
                      std::map<int, Json>& gradients)
{
    Json rows = Json::array();
    const model::ModelConfig& model = arguments.model;
    for (const int ranks : arguments.ranks) {
        if (ranks < 2) continue;
        const fs::path out = root / ("allreduce-" + std::to_string(ranks) + ".json");
        launchRanks(ranks, {"bench",      "allreduce-rank",
                            "--sizes-mb", joined(arguments.sizesMib),
                            "--repeats",  std::to_string(arguments.repeats),
                            "--layers",   std::to_string(model.layers),
                            "--heads",    std::to_string(model.heads),
                            "--dim",      std::to_string(model.dim),
                            "--ctx",      std::to_string(model.contextLength),
                            "--vocab",    std::to_string(model.vocabSize),
                            "--threads",  std::to_string(threadsPerRank(arguments.threads, ranks)),
                            "--out",      out.string()},
                    root, "all-reduce over " + std::to_string(ranks) + " ranks");
        const Json result = Json::parse(std::ifstream(out));
        for (Json row : result["messages"]) {
            row["threads_per_rank"] = result["threads"];
            rows.push_back(std::move(row));
        }
        gradients[ranks] = result["gradient"];
    }
    return rows;
}

// The efficiency compute alone would allow: the cores a job of `ranks` can use against `ranks`
// times those of the one-process job (on 2 cores, 1 rank of 2 threads: 1/2 for 2 ranks, 1/4 for
// 4), as if speed were linear in cores.
double efficiencyBound(int ranks, int threads, int baselineThreads)
{
    const int cores = availableCores();
    return double(std::min(cores, ranks * threads)) / (ranks * std::min(cores, baselineThreads));
}

// Weak scaling: each job's throughput against `ranks` times the one-process job's, and the share
// of its step the gradient all-reduce takes when timed alone on a buffer list of the same size.
Json measureScaling(const ParallelBenchArguments& arguments, const fs::path& root,
                    const std::map<int, Json>& gradients)
{
    Json rows = Json::array();
    for (const int ranks : arguments.ranks) {
        Json row = scalingRow(arguments, root, ranks);
        const Json& baseline = rows.empty() ? row : rows.front();
        row["efficiency"] =
            row["tokens_per_s"].get<double>() / (ranks * baseline["tokens_per_s"].get<double>());
        row["efficiency_bound"] = efficiencyBound(ranks, row["threads_per_rank"].get<int>(),
                                                  baseline["threads_per_rank"].get<int>());
        if (const auto gradient = gradients.find(ranks); gradient != gradients.end()) {
            const double ms = gradient->second["ms"].get<double>();
            row["grad_allreduce_ms"] = ms;
            row["grad_allreduce_fraction"] = ms / row["ms_per_step"].get<double>();
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

Json runPythonTwin(const ParallelBenchArguments& arguments)
{
    if (!fs::exists(arguments.reference))
        throw Error("bench parallel: --reference " + arguments.reference +
                    " does not exist (run from the repository root or pass --reference)");
    const std::string ranks = joined({arguments.ranks.begin(), arguments.ranks.end()});
    const model::ModelConfig& model = arguments.model;
    const std::string precision = arguments.precision != "auto"
                                      ? arguments.precision
                                      : (cpuHasAvx512Bf16() ? "bf16" : "fp32"); // as train does
    const std::string command =
        arguments.python + " '" + arguments.reference + "' --ranks " + ranks + " --sizes-mb " +
        joined(arguments.sizesMib) + " --repeats " + std::to_string(arguments.repeats) +
        " --layers " + std::to_string(model.layers) + " --heads " + std::to_string(model.heads) +
        " --dim " + std::to_string(model.dim) + " --ctx " + std::to_string(model.contextLength) +
        " --vocab " + std::to_string(model.vocabSize) + " --batch " +
        std::to_string(arguments.batchSize) + " --steps " + std::to_string(arguments.steps) +
        " --warmup " + std::to_string(arguments.warmupSteps) + " --precision " + precision +
        " --threads " + std::to_string(arguments.threads) + " 2>&1";
    return Json::parse(runJsonCommand(command).dump());
}

void runParallelBench(ParallelBenchArguments arguments)
{
    checkArguments(arguments);
    const bool temporary = arguments.folder.empty();
    const fs::path root =
        temporary ? fs::temp_directory_path() / ("rlhf-bench-parallel-" + std::to_string(getpid()))
                  : fs::path(arguments.folder);
    if (fs::exists(root))
        throw Error("bench parallel: " + root.string() +
                    " exists; --dir must name a folder that does not exist yet");
    auto cleanUp = [&] {
        if (temporary && !arguments.keep) fs::remove_all(root);
    };
    try {
        writeBenchTokens(store::Project::create(root).paths().tokens() / "bench-parallel.u32",
                         arguments);
        Json json{{"setup", setupJson(arguments)}, {"link", measureLink()}};
        const double loadBefore = loadAverage();
        std::map<int, Json> gradients;
        json["allreduce"] = measureAllReduce(arguments, root, gradients);
        json["scaling"] = measureScaling(arguments, root, gradients);
        json["load_average"] = {{"before", loadBefore}, {"after_ours", loadAverage()}};
        if (!arguments.python.empty()) {
            json["python"] = runPythonTwin(arguments);
            json["load_average"]["after_python"] = loadAverage();
        }
        cleanUp();
        std::cout << json.dump() << std::endl;
    } catch (...) {
        cleanUp();
        throw;
    }
}

void addModelOptions(CLI::App& command, model::ModelConfig& model)
{
    command.add_option("--layers", model.layers, "Transformer blocks")->capture_default_str();
    command.add_option("--heads", model.heads, "Attention heads")->capture_default_str();
    command.add_option("--dim", model.dim, "Residual width")->capture_default_str();
    command.add_option("--ctx", model.contextLength, "Sequence length")->capture_default_str();
    command.add_option("--vocab", model.vocabSize, "Vocabulary size")->capture_default_str();
}

void addAllReduceRank(CLI::App& bench)
{
    auto arguments = std::make_shared<AllReduceRankArguments>();
    auto* rank = bench.add_subcommand("allreduce-rank", "One rank of bench parallel's all-reduce");
    rank->group(""); // internal: bench parallel starts it through the launcher
    rank->add_option("--sizes-mb", arguments->sizesMib)->delimiter(',')->required();
    rank->add_option("--repeats", arguments->repeats);
    addModelOptions(*rank, arguments->model);
    rank->add_option("--threads", arguments->threads);
    rank->add_option("--out", arguments->out)->required();
    rank->callback([arguments] { runAllReduceRank(*arguments); });
}

} // namespace

void addParallelBench(CLI::App& bench)
{
    auto arguments = std::make_shared<ParallelBenchArguments>();
    auto* parallel = bench.add_subcommand(
        "parallel", "All-reduce bandwidth and data-parallel weak scaling over local ranks");
    parallel->add_option("--ranks", arguments->ranks, "Processes of each scaling run (with 1)")
        ->delimiter(',')
        ->capture_default_str();
    parallel->add_option("--sizes-mb", arguments->sizesMib, "All-reduce messages, MiB of fp32")
        ->delimiter(',')
        ->capture_default_str();
    parallel->add_option("--repeats", arguments->repeats, "Timed all-reduces per message")
        ->capture_default_str();
    addModelOptions(*parallel, arguments->model);
    parallel->add_option("--batch", arguments->batchSize, "Sequences per rank and step")
        ->capture_default_str();
    parallel->add_option("--steps", arguments->steps, "Timed steps per run")->capture_default_str();
    parallel->add_option("--warmup", arguments->warmupSteps, "Untimed steps first")
        ->capture_default_str();
    addPrecisionOption(*parallel, arguments->precision, "auto, fp32 or bf16")
        ->capture_default_str();
    parallel->add_option("--threads", arguments->threads, "CPU threads per rank (0 = cores / N)")
        ->capture_default_str();
    parallel->add_option("--dir", arguments->folder,
                         "Scratch project folder (must not exist; default: a temporary one)");
    parallel->add_flag("--keep", arguments->keep, "Keep the temporary project folder");
    parallel->add_option("--python", arguments->python,
                         "Python with torch: also run the DDP twin --reference");
    parallel->add_option("--reference", arguments->reference, "The PyTorch DDP twin")
        ->capture_default_str();
    parallel->callback([arguments] { runParallelBench(*arguments); });
    addAllReduceRank(bench);
}

} // namespace rlhf::cli
