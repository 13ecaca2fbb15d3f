// `rlhf train RUN.json`: runs a stage document (pretrain, sft, reward, dpo, ppo, grpo) in a
// project, exactly as the studio does; health warnings of the run are printed at its end.
// `--check` only parses the document with the same strict checks. `--precision` overrides the
// document's training.precision.
#include "app/cli/commands.h"
#include "app/cli/progress.h"

#include "core/train/stage_runner.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <iostream>

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

void runStageDocument(const std::filesystem::path& project, const std::filesystem::path& configFile,
                      const nlohmann::json& document)
{
    ProgressPrinter printer;
    train::StopToken stop;
    g_stopOnInterrupt = &stop;
    std::signal(SIGINT, handleInterrupt);
    const auto report =
        train::runStage(project, document, configFile.filename().string(), printer, stop);
    std::signal(SIGINT, SIG_DFL);
    g_stopOnInterrupt = nullptr;
    printer.onLog("run " + std::to_string(report.runId) + " " + report.status + " after " +
                  std::to_string(report.result.stepsDone) + " steps; last checkpoint " +
                  report.result.lastCheckpoint.string());
}

} // namespace

void addTrainCommand(CLI::App& app)
{
    auto project = std::make_shared<std::string>(".");
    auto config = std::make_shared<std::string>();
    auto check = std::make_shared<bool>(false);
    auto precision = std::make_shared<std::string>();
    auto* train = app.add_subcommand(
        "train", "Run a stage document (pretrain, sft, reward, dpo, ppo, grpo) in a project");
    train->add_option("config", *config, "Stage document, e.g. runs/pretrain.json")->required();
    train->add_option("-p,--project", *project, "Project folder")->capture_default_str();
    train->add_flag("--check", *check, "Only check the document (field names, types, ranges)");
    addPrecisionOption(*train, *precision,
                       "auto, fp32 or bf16: overrides the document's training.precision");
    train->callback([=] {
        const auto document = stageDocument(*config, *precision);
        if (!*check) {
            runStageDocument(*project, *config, document);
            return;
        }
        train::validateStageDocument(document, std::filesystem::path(*config).filename().string());
        std::cout << *config << ": ok" << std::endl;
    });
}

} // namespace rlhf::cli
