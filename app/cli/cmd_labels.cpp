// `rlhf labels`: the labeling pane's twin for scripts. queue fills the queue from a preference
// dataset or the arena's battles, export writes the pairs the (filtered) labels decide as
// preference JSONL, list counts items and labels per annotator. More `labels` subcommands
// (agreement) hang off the group that addLabelCommands returns.
#include "app/cli/commands.h"

#include "core/eval/label_pairs.h"
#include "core/eval/label_queue.h"
#include "core/store/project.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

namespace rlhf::cli {

namespace {

struct QueueArguments {
    std::string project, dataset, split = "train"; // held-out splits stay held out
    bool battles = false;
};

struct ExportArguments {
    std::string project, out, since, until;
    std::vector<std::string> annotators;
    double minAgreement = 0.0;
    int64_t minLabels = 1;
};

constexpr double secondsPerDay = 86400.0;

// "2024-05-01" or "2024-05-01T12:30:00" (UTC, a trailing Z allowed) as Unix seconds. A date
// alone is the start of that day, or with `endOfDay` its last instant, so --until 2024-05-01
// keeps the labels of May 1st.
double parseIsoTime(const std::string& text, const char* option, bool endOfDay)
{
    int year = 0, hour = 0, minute = 0, second = 0, used = 0;
    unsigned month = 0, day = 0;
    const bool dateOnly =
        std::sscanf(text.c_str(), "%4d-%2u-%2u%n", &year, &month, &day, &used) == 3 &&
        size_t(used) == text.size();
    const bool dateTime =
        !dateOnly &&
        std::sscanf(text.c_str(), "%4d-%2u-%2uT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                    &second, &used) == 6 &&
        (size_t(used) == text.size() || (size_t(used) + 1 == text.size() && text.back() == 'Z'));
    using namespace std::chrono;
    const year_month_day date{std::chrono::year(year), std::chrono::month(month),
                              std::chrono::day(day)};
    if ((!dateOnly && !dateTime) || !date.ok() || hour > 23 || minute > 59 || second > 60)
        throw Error(std::string(option) + ": expected an ISO date like 2024-05-01 or " +
                    "2024-05-01T12:30:00, got \"" + text + "\"");
    const double midnight = double(sys_days(date).time_since_epoch().count()) * secondsPerDay;
    if (dateOnly) return endOfDay ? midnight + secondsPerDay - 1e-3 : midnight;
    return midnight + hour * 3600.0 + minute * 60.0 + second;
}

void queue(const QueueArguments& arguments)
{
    if (arguments.battles == !arguments.dataset.empty())
        throw Error("labels queue: give either --dataset NAME or --battles");
    store::Project project = store::Project::open(arguments.project);
    store::Database& database = project.database();
    const std::string split = arguments.split == "all" ? std::string() : arguments.split;
    const int64_t added = arguments.battles
                              ? eval::queueBattles(database)
                              : eval::queueDataset(database, arguments.dataset, split);
    std::cout << "queued " << added << " new items";
    if (!arguments.battles)
        std::cout << (split.empty() ? " from every split" : " from the " + split + " split");
    std::cout << " (" << database.comparisonItemCount() << " in the queue)" << std::endl;
}

void exportPairs(const ExportArguments& arguments)
{
    eval::LabelFilter filter;
    filter.annotators = arguments.annotators;
    if (!arguments.since.empty())
        filter.since = parseIsoTime(arguments.since, "--since", /*endOfDay=*/false);
    if (!arguments.until.empty())
        filter.until = parseIsoTime(arguments.until, "--until", /*endOfDay=*/true);
    filter.minAgreement = arguments.minAgreement; // ranges checked by CLI11
    filter.minLabels = arguments.minLabels;
    if (filter.since && filter.until && *filter.since > *filter.until)
        throw Error("--until: is before --since");

    store::Project project = store::Project::open(arguments.project);
    const std::vector<eval::LabelledPair> pairs = eval::labelledPairs(project.database(), filter);
    std::ostringstream text;
    const int64_t lines = eval::writePreferenceJsonl(text, pairs);
    const std::string bytes = text.str();
    AtomicFile file(std::filesystem::absolute(arguments.out));
    file.write(std::as_bytes(std::span(bytes.data(), bytes.size())));
    file.commit();
    std::cout << "wrote " << lines << " preference pairs to " << arguments.out << std::endl;
}

void list(const std::string& projectFolder)
{
    store::Project project = store::Project::open(projectFolder);
    const store::Database& database = project.database();
    const std::vector<store::Label> labels = database.labels();
    std::cout << database.comparisonItemCount() << " items, " << labels.size() << " labels\n";
    for (const std::string& annotator : database.annotators()) {
        int64_t count = 0;
        for (const store::Label& label : labels)
            count += label.annotator == annotator ? 1 : 0;
        std::cout << annotator << ": " << count << " labelled, "
                  << database.unlabelledCount(annotator) << " unlabelled\n";
    }
    std::cout << std::flush;
}

} // namespace

CLI::App* addLabelCommands(CLI::App& app)
{
    auto* labels = app.add_subcommand("labels", "Human labels: queue, export, list");
    labels->require_subcommand(1);

    auto queueArguments = std::make_shared<QueueArguments>();
    auto* queueCommand = labels->add_subcommand(
        "queue", "Add comparison items from a preference dataset or battles");
    queueCommand->add_option("-p,--project", queueArguments->project, "Project folder")->required();
    queueCommand->add_option("-d,--dataset", queueArguments->dataset,
                             "Preference dataset whose pairs are judged again");
    queueCommand
        ->add_option(
            "--split", queueArguments->split,
            "The dataset's split whose pairs are queued: train, val, test or all (held-out "
            "pairs judged by people leak into what trains on the labels)")
        ->check(CLI::IsMember({"train", "val", "test", "all"}))
        ->capture_default_str();
    queueCommand->add_flag("--battles", queueArguments->battles,
                           "The arena's battles, with their votes as labels");
    queueCommand->callback([=] { queue(*queueArguments); });

    auto exportArguments = std::make_shared<ExportArguments>();
    auto* exportCommand =
        labels->add_subcommand("export", "Write the pairs the labels decide as preference JSONL");
    exportCommand->add_option("-p,--project", exportArguments->project, "Project folder")
        ->required();
    exportCommand->add_option("-o,--out", exportArguments->out, "JSONL file to write")->required();
    exportCommand->add_option("--annotator", exportArguments->annotators,
                              "Count only these annotators' labels (repeatable)");
    exportCommand->add_option("--since", exportArguments->since,
                              "Only labels from this UTC date or time on, e.g. 2024-05-01");
    exportCommand->add_option("--until", exportArguments->until,
                              "Only labels up to this UTC date (inclusive) or time");
    exportCommand
        ->add_option("--min-agreement", exportArguments->minAgreement,
                     "Least share of an item's labels agreeing with its majority, 0-1")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    exportCommand
        ->add_option("--min-labels", exportArguments->minLabels,
                     "Least number of counted labels an item needs")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    exportCommand->callback([=] { exportPairs(*exportArguments); });

    auto project = std::make_shared<std::string>();
    auto* listCommand = labels->add_subcommand("list", "Count items and labels per annotator");
    listCommand->add_option("-p,--project", *project, "Project folder")->required();
    listCommand->callback([=] { list(*project); });
    return labels;
}

} // namespace rlhf::cli
