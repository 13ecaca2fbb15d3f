// `rlhf task arithmetic`: writes the verifiable addition task (core/data/tasks/arithmetic_task.h)
// into a project as its SFT, preference and prompt datasets, and prints what it wrote.
#include "app/cli/commands.h"

#include "core/data/tasks/arithmetic_task.h"
#include "core/store/project.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace rlhf::cli {

namespace {

struct ArithmeticArguments {
    std::string project, prefix = "arith";
    data::ArithmeticTaskOptions options;
};

// "arith-sft: 2500 documents (train 2137, val 124, test 239)"
void printDataset(store::Database& database, const std::string& name)
{
    const auto dataset = database.datasetByName(name);
    if (!dataset) return;
    std::cout << name << " (" << store::datasetKindName(dataset->kind)
              << "): " << database.documentCount(dataset->id) << " documents (";
    const char* separator = "";
    for (const char* split : {"train", "val", "test"}) {
        std::cout << separator << split << " " << database.documentCount(dataset->id, split);
        separator = ", ";
    }
    std::cout << ")\n";
}

} // namespace

void addTaskCommands(CLI::App& app)
{
    auto* task = app.add_subcommand("task", "Generate verifiable tasks with a ground-truth rule");
    task->require_subcommand(1);

    auto arguments = std::make_shared<ArithmeticArguments>();
    auto* arithmetic = task->add_subcommand(
        "arithmetic", "Addition questions as SFT, preference and prompt datasets");
    arithmetic->add_option("-p,--project", arguments->project, "Project folder (made if missing)")
        ->required();
    arithmetic
        ->add_option("--prefix", arguments->prefix, "Dataset names: PREFIX-sft, -pairs, -prompts")
        ->capture_default_str();
    arithmetic->add_option("--max-operand", arguments->options.maxOperand, "Operands are 0..N")
        ->check(CLI::Range(0, 999))
        ->capture_default_str();
    arithmetic
        ->add_option("--error-rate", arguments->options.errorRate, "Share of wrong SFT answers")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    arithmetic
        ->add_option("--pairs-per-problem", arguments->options.pairsPerProblem,
                     "Preference pairs per problem")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    arithmetic->add_option("--seed", arguments->options.seed, "Seeds the mistakes")
        ->capture_default_str();
    arithmetic->callback([=] {
        const auto written =
            data::writeArithmeticTask(arguments->project, arguments->prefix, arguments->options);
        store::Project project = store::Project::open(arguments->project);
        for (const std::string* name : {&written.sft, &written.pairs, &written.prompts})
            printDataset(project.database(), *name);
        std::cout << std::flush;
    });
}

} // namespace rlhf::cli
