// `rlhf bench import`: MB/s and peak memory of reading, cleaning and deduplicating a generated
// JSONL corpus, optionally beside a Python script doing the same on the same file in the same
// run (tests/reference/bench_import.py). Prints one JSON object.
#include "app/cli/commands.h"
#include "app/cli/json_command.h"
#include "app/tools/import_bench.h"

#include "core/util/error.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace rlhf::cli {

namespace {

struct ImportBenchArguments {
    std::string file = "bench-import.jsonl", project, reference, python = "python3";
    uint64_t megabytes = 1024;
    bool noNear = false;
};

// Runs the reference script on the corpus and returns the JSON object it prints last.
nlohmann::json runReference(const ImportBenchArguments& arguments)
{
    const std::string command =
        arguments.python + " '" + arguments.reference + "' '" + arguments.file + "'";
    return runJsonCommand(command);
}

} // namespace

void addImportBench(CLI::App& bench)
{
    auto arguments = std::make_shared<ImportBenchArguments>();
    auto* import = bench.add_subcommand("import", "Read + clean + dedup MB/s on a JSONL corpus");
    import->add_option("--file", arguments->file, "Corpus (generated when missing)")
        ->capture_default_str();
    import->add_option("--megabytes", arguments->megabytes, "Size of a generated corpus")
        ->capture_default_str();
    import->add_option("--project", arguments->project,
                       "Scratch project folder: also time the whole import into a database "
                       "(the folder is deleted first)");
    import->add_flag("--no-near", arguments->noNear, "Skip the near-dedup phase");
    import
        ->add_option("--reference", arguments->reference,
                     "Python script to run on the same corpus (tests/reference/bench_import.py)")
        ->check(CLI::ExistingFile);
    import->add_option("--python", arguments->python, "Python for --reference")
        ->capture_default_str();
    import->callback([=] {
        tools::ImportBenchOptions options;
    options.file = arguments->file;
    options.bytes = arguments->megabytes * 1000000;
    options.project = arguments->project;
    options.nearDedup = !arguments->noNear;
    const tools::ImportBenchResult result = tools::benchImport(options);
    nlohmann::json phases = nlohmann::json::array();
    for (const auto& phase : result.phases) {
        phases.push_back({{"phase", phase.name},
                          {"seconds", phase.seconds},
                          {"mb_per_s", phase.megabytesPerSecond},
                          {"cpu_s", phase.cpuSeconds},
                          {"mb_per_cpu_s", phase.megabytesPerCpuSecond},
                          {"records", phase.records},
                          {"kept", phase.kept},
                          {"peak_rss_mb", double(phase.peakRssBytes) / 1e6},
                          {"index_mb", double(phase.indexBytes) / 1e6}});
    }
    nlohmann::json report = {{"file", arguments->file},
                             {"mb", double(result.bytes) / 1e6},
                             {"generate_s", result.generateSeconds},
                             {"phases", phases}};
    if (!arguments->reference.empty()) {
        report["python"] = runReference(*arguments);
        for (const auto& phase : result.phases) {
            if (phase.name == "clean+exact") {
                report["speedup_vs_python"] =
                    phase.megabytesPerSecond / report["python"]["mb_per_s"].get<double>();
            }
        }
    }
    std::cout << report.dump(2) << std::endl;
});
} // namespace rlhf::cli

} // namespace rlhf::cli
