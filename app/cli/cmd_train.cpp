// `rlhf train RUN.json`: runs a stage document (pretrain, sft, reward, dpo, ppo, grpo) in a
// project, exactly as the studio does; health warnings of the run are printed at its end.
// `--check` only parses the document with the same strict checks. `--precision` overrides the
// document's training.precision. Data-parallel: `--nproc N` starts N local ranks; a process
// started by torchrun or srun (RANK/WORLD_SIZE or SLURM_PROCID/SLURM_NTASKS set) joins as its
// rank over c10d, and only rank 0 prints and writes the project. `--rank-status`: every rank
// also prints its status lines (rank_status.h), as the studio asks for when it launches ranks.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/rank_status.h"
#include "app/cli/worker_launcher.h"

#include "core/dist/process_group.h"
#include "core/train/stage_runner.h"
#include "core/train/training_options.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>

namespace rlhf::cli {

namespace {

train::StopToken* g_stopOnInterrupt = nullptr; // set while a stage runs; Ctrl-C asks it to stop

void handleInterrupt(int)
{
    if (g_stopOnInterrupt) g_stopOnInterrupt->requestStop();
}

// The document in `configFile`, its training.precision replaced by `precision` unless empty
// (a document of the wrong shape is left for the stage's own checks to name).
nlohmann::json stageDocument(const std::filesystem::path& configFile, const std::string& precision)
{
    nlohmann::json document = readJsonFile(configFile);
    const bool trainingIsObject = document.is_object() && (!document.contains("training") ||
                                                           document["training"].is_object());
    if (!precision.empty() && trainingIsObject) document["training"]["precision"] = precision;
    return document;
}

// This process's communicator: the job's process group when a launcher made it a rank of
// several, else the one-process communicator.
std::unique_ptr<dist::Communicator> joinJob(const std::optional<dist::Rendezvous>& job,
                                            double timeoutSeconds)
{
    if (!job || job->worldSize == 1) return std::make_unique<dist::LocalCommunicator>();
    dist::ProcessGroupOptions options;
    options.timeout = std::chrono::milliseconds(int64_t(timeoutSeconds * 1000));
    return std::make_unique<dist::ProcessGroupCommunicator>(*job, options);
}

// Ctrl-C, SIGTERM and SIGHUP (a closed terminal, an ssh session that drops) ask `stop` to stop
// the stage after its step while this guard lives: it checkpoints and is recorded as stopped.
class InterruptStops {
public:
    explicit InterruptStops(train::StopToken& stop)
    {
        g_stopOnInterrupt = &stop;
        std::signal(SIGINT, handleInterrupt);
        std::signal(SIGTERM, handleInterrupt);
        std::signal(SIGHUP, handleInterrupt);
    }
    ~InterruptStops()
    {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        std::signal(SIGHUP, SIG_DFL);
        g_stopOnInterrupt = nullptr;
    }
    InterruptStops(const InterruptStops&) = delete;
    InterruptStops& operator=(const InterruptStops&) = delete;
};

// training.checkpoint_every of `document`, the core's default when it gives none (a wrong
// type is left for the stage's own checks to name).
int64_t checkpointEvery(const nlohmann::json& document)
{
    const int64_t fallback = train::TrainingOptions{}.checkpointEvery;
    const auto training = document.find("training");
    if (training == document.end() || !training->is_object()) return fallback;
    const auto every = training->find("checkpoint_every");
    return every != training->end() && every->is_number_integer() ? every->get<int64_t>()
                                                                  : fallback;
}

struct TrainArguments {
    std::filesystem::path project;
    std::filesystem::path configFile;
    double timeoutSeconds = 60; // a collective's limit, --dist-timeout
    StatusLines lines = StatusLines::Off;
};

// Joins the job (if any) and runs the stage as this process's rank, reporting to `reporter`.
train::StageRunReport trainAsRank(const TrainArguments& arguments, const nlohmann::json& document,
                                  const std::optional<dist::Rendezvous>& job,
                                  RankStatusReporter& reporter)
{
    const auto communicator = joinJob(job, arguments.timeoutSeconds);
    reporter.setState(RankState::Joined);
    train::StopToken stop;
    const InterruptStops interrupts(stop);
    return train::runStage(arguments.project, document, arguments.configFile.filename().string(),
                           reporter, stop, *communicator);
}

void runStageDocument(const TrainArguments& arguments, const nlohmann::json& document)
{
    const auto job = dist::rendezvousFromEnvironment();
    const int rank = job ? job->rank : 0;
    ProgressPrinter printer;
    train::StageObserver quiet; // ranks other than 0 print no log; their errors still reach main
    RankStatusReporter reporter(rank, job ? job->worldSize : 1, checkpointEvery(document),
                                arguments.lines, rank == 0 ? printer : quiet);
    try {
        const auto report = trainAsRank(arguments, document, job, reporter);
        reporter.finish(report.result.stopped ? RankState::Stopped : RankState::Completed);
        if (rank != 0) return;
        reporter.onLog("run " + std::to_string(report.runId) + " " + report.status + " after " +
                       std::to_string(report.result.stepsDone) + " steps; last checkpoint " +
                       report.result.lastCheckpoint.string());
    } catch (const std::exception& error) {
        reporter.finish(RankState::Failed, error.what());
        throw;
    }
}

} // namespace

void addTrainCommand(CLI::App& app)
{
    auto project = std::make_shared<std::string>(".");
    auto config = std::make_shared<std::string>();
    auto check = std::make_shared<bool>(false);
    auto precision = std::make_shared<std::string>();
    auto processes = std::make_shared<int>(0);
    auto timeout = std::make_shared<double>(60);
    auto rankStatus = std::make_shared<bool>(false);
    auto* train = app.add_subcommand(
        "train", "Run a stage document (pretrain, sft, reward, dpo, ppo, grpo) in a project");
    train->add_option("config", *config, "Stage document, e.g. runs/pretrain.json")->required();
    train->add_option("-p,--project", *project, "Project folder")->capture_default_str();
    train->add_flag("--check", *check, "Only check the document (field names, types, ranges)");
    addPrecisionOption(*train, *precision,
                       "auto, fp32 or bf16: overrides the document's training.precision");
    train->add_option("--nproc", *processes,
                      "Data-parallel: start this many local ranks (Gloo on CPU, NCCL on GPUs)");
    train
        ->add_option("--dist-timeout", *timeout,
                     "Seconds a rank waits for the others in a collective before failing")
        ->capture_default_str();
    train->add_flag("--rank-status", *rankStatus,
                    "Every rank prints its status (state, step, s/step) as a 'rank-status' line "
                    "on stdout, at most 4 a second: what the studio's rank panel reads");
    train->callback([=] {
        const StatusLines lines = *rankStatus ? StatusLines::On : StatusLines::Off;
        const auto document = stageDocument(*config, *precision);
        if (*processes > 0 && !*check) {
            if (dist::rendezvousFromEnvironment())
                throw Error("--nproc: this process is already a rank of a job (RANK or "
                            "SLURM_PROCID is set); run it without --nproc");
            std::vector<std::string> arguments{
                "train", *config, "-p", *project, "--dist-timeout", std::to_string(*timeout)};
            if (!precision->empty()) arguments.insert(arguments.end(), {"--precision", *precision});
            if (lines == StatusLines::On) arguments.push_back("--rank-status");
            runLocalWorkers(*processes, arguments, lines);
            return;
        }
        if (!*check) {
            runStageDocument({*project, *config, *timeout, lines}, document);
            return;
        }
        train::validateStageDocument(document, std::filesystem::path(*config).filename().string());
        std::cout << *config << ": ok" << std::endl;
    });
}

} // namespace rlhf::cli
