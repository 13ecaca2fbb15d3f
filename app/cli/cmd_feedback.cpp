// `rlhf feedback`: the Chat tab's thumbs and the arena's votes as training data, the twin of the
// studio's "Improve from feedback". export writes the preference pairs they make as a dataset of
// the project (and optionally as preference JSONL) and says what could not become a pair;
// improve does that and then runs a reward model refresh and DPO (or PPO) from the checkpoint
// being improved, as two ordinary runs of the project, from the options document the studio
// writes (runs/<name>-improve.json).
#include "app/cli/commands.h"
#include "app/cli/number_options.h"
#include "app/cli/progress.h"

#include "core/eval/feedback_improve.h"
#include "core/eval/label_pairs.h"
#include "core/store/project.h"
#include "core/train/option_ranges.h"
#include "core/train/stage_runner.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

namespace rlhf::cli {

namespace {

struct ExportArguments {
    std::string project, name, out;
    double valFraction = 0.1;
    bool noArena = false;
};

// The options a command line may give over (or instead of) an options document.
struct ImproveArguments {
    std::string project, config, name, from, method, rewardFrom, precision;
    std::optional<int64_t> rewardSteps, policySteps, batchSize;
    std::optional<int> threads;
    std::optional<uint64_t> seed;
    bool noArena = false;
};

void printReport(const eval::FeedbackReport& report)
{
    for (const std::string& line : report.lines())
        std::cout << line << '\n';
    std::cout << std::flush;
}

void exportFeedback(const ExportArguments& arguments)
{
    store::Project project = store::Project::open(arguments.project);
    store::Database& database = project.database();
    const eval::FeedbackPairs pairs = eval::feedbackPairs(
        database, arguments.noArena ? eval::BattleVotes::Exclude : eval::BattleVotes::Include);
    printReport(pairs.report);
    const std::string name =
        arguments.name.empty() ? eval::nextDatasetName(database, "feedback") : arguments.name;
    const eval::FeedbackDataset dataset =
        eval::writeFeedbackDataset(database, pairs, name, arguments.valFraction);
    std::cout << "wrote dataset " << dataset.name << ": " << dataset.train << " train and "
              << dataset.val << " val pairs (split by prompt)" << std::endl;
    if (arguments.out.empty()) return;
    std::vector<eval::LabelledPair> lines;
    for (const eval::FeedbackPair& pair : pairs.pairs)
        lines.push_back(
            {.promptJson = pair.promptJson, .chosen = pair.chosen, .rejected = pair.rejected});
    std::ostringstream text;
    eval::writePreferenceJsonl(text, lines);
    const std::string bytes = text.str();
    AtomicFile file(std::filesystem::absolute(arguments.out));
    file.write(std::as_bytes(std::span(bytes.data(), bytes.size())));
    file.commit();
    std::cout << "wrote " << lines.size() << " preference pairs to " << arguments.out << std::endl;
}

eval::ImproveOptions improveOptions(const ImproveArguments& arguments)
{
    eval::ImproveOptions options;
    if (!arguments.config.empty())
        options = eval::improveOptionsFromJson(readJsonFile(arguments.config), arguments.config);
    if (!arguments.name.empty()) options.name = arguments.name;
    if (!arguments.from.empty()) options.from = arguments.from;
    if (!arguments.method.empty())
        options.method = parseWord(eval::improveMethodWords, arguments.method, "method");
    if (!arguments.rewardFrom.empty()) options.rewardFrom = arguments.rewardFrom;
    if (arguments.rewardSteps) options.rewardSteps = *arguments.rewardSteps;
    if (arguments.policySteps) options.policySteps = *arguments.policySteps;
    if (arguments.batchSize) options.batchSize = *arguments.batchSize;
    if (arguments.threads) options.training["threads"] = *arguments.threads;
    if (arguments.seed) options.training["seed"] = *arguments.seed;
    if (!arguments.precision.empty()) options.training["precision"] = arguments.precision;
    if (arguments.noArena) options.arenaVotes = false;
    return options;
}

// Runs one of the plan's stage documents (written to runs/ first) and returns its run's last
// checkpoint; throws unless the run completed.
std::string runDocument(const store::Project& project, const std::string& runName,
                        const nlohmann::json& document)
{
    const auto path = eval::writeRunDocument(project, runName, document);
    std::cout << "run " << runName << " (" << path.string() << ")" << std::endl;
    ProgressPrinter printer;
    train::StopToken stop;
    const train::StageRunReport report =
        train::runStage(project.paths().root(), document, path.filename().string(), printer, stop);
    if (report.status != "completed")
        throw Error("run " + std::to_string(report.runId) + " (" + runName + ") " + report.status);
    const auto checkpoint =
        store::Project::open(project.paths().root()).database().latestCheckpoint(report.runId);
    if (!checkpoint) throw Error("run " + std::to_string(report.runId) + " saved no checkpoint");
    std::cout << "run " << report.runId << " (" << runName << ") completed: " << checkpoint->path
              << std::endl;
    return checkpoint->path;
}

void improve(const ImproveArguments& arguments)
{
    const eval::ImproveOptions options = improveOptions(arguments);
    store::Project project = store::Project::open(arguments.project);
    const eval::ImprovePlan plan =
        eval::planImprove(project, options, [](const auto& document, const auto& where) {
            train::validateStageDocument(document, where);
        });
    // The options as given (an empty name stays empty: run again, it picks the next one).
    eval::writeRunDocument(project, plan.options.name + "-improve", eval::toJson(options));
    printReport(plan.report);
    std::cout << "dataset " << plan.dataset.name << ": " << plan.dataset.train << " train and "
              << plan.dataset.val << " val pairs\n"
              << "improving " << plan.policy << "; the reward model starts from " << plan.rewardInit
              << " (" << plan.rewardNote << ")" << std::endl;
    const std::string reward = runDocument(project, eval::rewardRunName(plan), plan.rewardDocument);
    const std::string improved =
        runDocument(project, eval::policyRunName(plan), eval::policyDocument(plan, reward));
    std::cout << "improved " << plan.policy << " -> " << improved
              << "; compare them in the studio's arena (its parent is " << plan.policy << ")"
              << std::endl;
}

} // namespace

void addFeedbackCommands(CLI::App& app)
{
    auto* feedback = app.add_subcommand(
        "feedback", "Chat thumbs and arena votes as training data: export, improve");
    feedback->require_subcommand(1);

    auto exportArguments = std::make_shared<ExportArguments>();
    auto* exportCommand = feedback->add_subcommand(
        "export", "Write the preference pairs of the feedback as a dataset of the project");
    exportCommand->add_option("-p,--project", exportArguments->project, "Project folder")
        ->required();
    exportCommand->add_option("-n,--name", exportArguments->name,
                              "Dataset name (default: the first free feedback-N)");
    exportCommand
        ->add_option("--val-fraction", exportArguments->valFraction,
                     "Share of the prompts held out (split by a hash of the prompt)")
        ->check(inRange(train::ranges::valFraction))
        ->capture_default_str();
    exportCommand->add_flag("--no-arena", exportArguments->noArena,
                            "Thumbs only: leave out the arena's votes");
    exportCommand->add_option("--out", exportArguments->out,
                              "Also write the pairs as preference JSONL to this file");
    exportCommand->callback([=] { exportFeedback(*exportArguments); });

    auto arguments = std::make_shared<ImproveArguments>();
    auto* improveCommand = feedback->add_subcommand(
        "improve", "Export the feedback, refresh the reward model, then DPO (or PPO) from the "
                   "checkpoint improved: two runs of the project");
    improveCommand->add_option("-p,--project", arguments->project, "Project folder")->required();
    improveCommand->add_option("--config", arguments->config,
                               "Options document (the studio's runs/<name>-improve.json); the "
                               "options below override its fields");
    improveCommand->add_option("-n,--name", arguments->name,
                               "Names the dataset and the runs <name>-reward, <name>-dpo "
                               "(default: the first free feedback-N)");
    improveCommand->add_option("--from", arguments->from,
                               "Checkpoint improved (default: the latest checkpoint of the "
                               "newest completed run that chats)");
    improveCommand->add_option("--method", arguments->method, "dpo (default) or ppo")
        ->check(CLI::IsMember({"dpo", "ppo"}));
    improveCommand->add_option("--reward-from", arguments->rewardFrom,
                               "Where the reward model starts (default: the newest reward "
                               "checkpoint of the same vocabulary, else --from)");
    improveCommand
        ->add_option("--reward-steps", arguments->rewardSteps,
                     "Reward model steps (default: 3 epochs of the train pairs)")
        ->check(inRange(train::ranges::steps));
    improveCommand
        ->add_option("--policy-steps", arguments->policySteps,
                     "DPO / PPO steps (default: as the reward model's)")
        ->check(inRange(train::ranges::steps));
    improveCommand->add_option("--batch", arguments->batchSize, "Pairs (or prompts) per step")
        ->check(inRange(train::ranges::batchSize));
    improveCommand->add_option("--threads", arguments->threads, "CPU threads (0: all cores)")
        ->check(inRange(train::ranges::threads));
    improveCommand->add_option("--seed", arguments->seed, "Seeds both runs");
    addPrecisionOption(*improveCommand, arguments->precision, "auto, fp32 or bf16");
    improveCommand->add_flag("--no-arena", arguments->noArena,
                             "Thumbs only: leave out the arena's votes");
    improveCommand->callback([=] { improve(*arguments); });
}

} // namespace rlhf::cli
