// `rlhf labels sample`: the labeling pane's "Sample pairs" headless. Two sampled replies of a
// checkpoint to each prompt of a dataset become comparison items, committed one pair at a time
// (train::samplePairs), so an interrupted run keeps what it made and a rerun adds only the rest.
#include "app/cli/commands.h"

#include "core/store/project.h"
#include "core/train/pair_sampling.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace rlhf::cli {

void addLabelSample(CLI::App& labels)
{
    struct Arguments {
        std::string project;
        train::PairSamplingOptions options;
    };
    auto arguments = std::make_shared<Arguments>();
    auto& options = arguments->options;
    auto* command = labels.add_subcommand(
        "sample", "Queue pairs for labeling: two sampled replies of a checkpoint per prompt");
    command->add_option("-p,--project", arguments->project, "Project folder")->required();
    command
        ->add_option("-c,--checkpoint", options.checkpoint,
                     "Checkpoint folder, project-relative (e.g. checkpoints/run-2/step-000300)")
        ->required();
    command->add_option("-d,--dataset", options.dataset, "Chat or preference dataset of prompts")
        ->required();
    command->add_option("--split", options.split, "Split of the dataset")->capture_default_str();
    command->add_option("--count", options.count, "Pairs to add at most")->capture_default_str();
    command->add_option("--temperature", options.sampling.temperature, "Sampling temperature")
        ->capture_default_str();
    command->add_option("--max-new-tokens", options.sampling.maxNewTokens, "Reply tokens at most")
        ->capture_default_str();
    command
        ->add_option("--seed", options.sampling.seed, "Sampling seed (part of each pair's origin)")
        ->capture_default_str();
    command->callback([arguments] {
        auto project = store::Project::open(arguments->project);
        const auto queued = train::samplePairs(project, arguments->options, [](int64_t soFar) {
            std::cerr << "\rqueued " << soFar << std::flush;
        });
        if (queued > 0) std::cerr << "\n";
        std::cout << queued << " pairs queued for labeling\n";
    });
}

} // namespace rlhf::cli
