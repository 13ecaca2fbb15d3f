// `rlhf import` (files -> cleaned dataset, from options or a JSON recipe: the import wizard's
// twin) and `rlhf quarantine` (list, search and restore what an import turned away).
#include "app/cli/commands.h"

#include "core/data/importer.h"
#include "core/store/project.h"
#include "core/util/error.h"
#include "core/util/text_file.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <iomanip>
#include <iostream>
#include <sstream>

namespace rlhf::cli {

namespace {

namespace fs = std::filesystem;

struct ImportArguments {
    std::string project = ".", name, recipe, format = "auto", compression = "auto";
    std::string unit = "line", shape = "auto", tokenizer;
    std::vector<std::string> files, mappings;
    std::vector<std::string> steps = {"utf8", "nfkc", "control", "whitespace", "exact_dedup"};
    bool noClean = false, rejectInvalidUtf8 = false, keepUnknownLanguage = false;
    bool printRecipe = false, force = false;
    int64_t minChars = 0, maxChars = 0, minTokens = 0, maxTokens = 0;
    std::vector<std::string> languages, piiTypes;
    double minLanguageConfidence = 0.5, nearDupThreshold = 0.5;
    std::string blocklistFile;
    double val = 0.05, test = 0.0;
    uint64_t seed = 0;
};

std::vector<std::string> blocklistEntries(const std::string& file)
{
    std::vector<std::string> entries;
    std::istringstream lines(readTextFile(file));
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line.front() != '#') entries.push_back(line);
    }
    return entries;
}

data::CleaningConfig cleaningFrom(const ImportArguments& arguments)
{
    data::CleaningConfig config;
    if (arguments.noClean) return config;
    for (const std::string& name : arguments.steps) {
        data::StepConfig step;
        step.kind = data::parseStepKind(name);
        step.repairUtf8 = !arguments.rejectInvalidUtf8;
        step.minChars = arguments.minChars;
        step.maxChars = arguments.maxChars;
        step.minTokens = arguments.minTokens;
        step.maxTokens = arguments.maxTokens;
        step.languages = arguments.languages;
        step.minLanguageConfidence = arguments.minLanguageConfidence;
        step.keepUnknownLanguage = arguments.keepUnknownLanguage;
        if (!arguments.piiTypes.empty()) step.piiTypes = arguments.piiTypes;
        if (step.kind == data::StepKind::Blocklist) {
            if (arguments.blocklistFile.empty())
                throw Error("the blocklist step needs --blocklist FILE");
            step.blocklist = blocklistEntries(arguments.blocklistFile);
        }
        step.jaccardThreshold = arguments.nearDupThreshold;
        config.steps.push_back(std::move(step));
    }
    return config;
}

// The recipe from --recipe (files and --name on the command line win) or from the options.
data::ImportRecipe recipeFrom(const ImportArguments& arguments)
{
    if (!arguments.recipe.empty()) {
        data::ImportRecipe recipe = data::ImportRecipe::fromJson(readTextFile(arguments.recipe));
        // Relative files in a recipe are relative to the recipe, as in a Makefile.
        for (auto& file : recipe.files) {
            if (file.is_relative()) file = fs::path(arguments.recipe).parent_path() / file;
        }
        if (!arguments.files.empty())
            recipe.files.assign(arguments.files.begin(), arguments.files.end());
        if (!arguments.name.empty()) recipe.dataset = arguments.name;
        if (arguments.force) recipe.force = true;
        return recipe;
    }
    if (arguments.name.empty()) throw Error("import: --name (or --recipe) is required");
    if (arguments.files.empty()) throw Error("import: no files given");
    nlohmann::json mapping = nlohmann::json::object();
    for (const std::string& pair : arguments.mappings) {
        const auto equals = pair.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == pair.size())
            throw Error("--map " + pair + ": expected canonical=field, e.g. text=body");
        mapping[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
    nlohmann::json files = nlohmann::json::array();
    for (const auto& file : arguments.files)
        files.push_back(file);
    // Built as the recipe document, so the options are checked by the recipe's own parser.
    const nlohmann::json document = {
        {"dataset", arguments.name},
        {"files", files},
        {"format", arguments.format},
        {"compression", arguments.compression},
        {"unit", arguments.unit},
        {"shape", arguments.shape},
        {"mapping", mapping},
        {"cleaning", nlohmann::json::parse(cleaningFrom(arguments).toJson())},
        {"split", {{"val", arguments.val}, {"test", arguments.test}, {"seed", arguments.seed}}},
        {"tokenizer", arguments.tokenizer},
        {"force", arguments.force},
    };
    return data::ImportRecipe::fromJson(document.dump());
}

void printReport(const data::ImportReport& report)
{
    std::cout << "dataset #" << report.dataset << " (" << data::recordKindName(report.kind)
              << "): " << report.records << " records read, " << report.imported
              << " imported (train " << report.train << ", val " << report.val << ", test "
              << report.test << "), " << report.quarantined << " quarantined ("
              << report.readProblems << " unreadable)" << (report.cancelled ? ", CANCELLED" : "")
              << "\n";
    if (report.existing > 0)
        std::cout << "dedup compared against the " << report.existing
                  << " documents the dataset held already\n";
    std::cout << std::left << std::setw(14) << "step" << std::right << std::setw(12) << "examined"
              << std::setw(12) << "changed" << std::setw(12) << "removed\n";
    for (const auto& step : report.steps) {
        std::cout << std::left << std::setw(14) << step.step << std::right << std::setw(12)
                  << step.examined << std::setw(12) << step.changed << std::setw(12) << step.removed
                  << "\n";
    }
    std::cout << "languages:";
    for (size_t i = 0; i < report.languages.size() && i < 8; ++i)
        std::cout << " " << report.languages[i].first << " " << report.languages[i].second;
    std::cout << " (of " << report.languagesSampled << " sampled)\n";
    const double mb = double(report.bytes) / 1e6;
    std::cout << std::fixed << std::setprecision(1) << mb << " MB in " << report.seconds << " s ("
              << (report.seconds > 0 ? mb / report.seconds : 0) << " MB/s), dedup index "
              << double(report.indexBytes) / 1e6 << " MB" << std::endl;
}

void runImport(const ImportArguments& arguments)
{
    const data::ImportRecipe recipe = recipeFrom(arguments);
    if (arguments.printRecipe) {
        std::cout << recipe.toJson() << std::endl;
        return;
    }
    store::Project project = store::Project::open(arguments.project);
    const bool terminal = isatty(STDERR_FILENO);
    auto lastLine = std::chrono::steady_clock::now();
    const data::ImportReport report =
        data::importDataset(project, recipe, [&](const data::ImportProgress& progress) {
            const auto now = std::chrono::steady_clock::now();
            if (!terminal && now - lastLine < std::chrono::seconds(5)) return true;
            lastLine = now;
            const double percent = progress.bytesTotal
                                       ? 100.0 * double(progress.bytesDone) / progress.bytesTotal
                                       : 0.0;
            std::cerr << (terminal ? "\r" : "") << std::fixed << std::setprecision(1) << percent
                      << "% " << progress.records << " records, " << progress.imported
                      << " imported, " << progress.quarantined << " quarantined"
                      << (terminal ? "   " : "\n") << std::flush;
            return true;
        });
    if (terminal) std::cerr << "\n";
    for (const auto& problem : report.firstProblems) {
        std::cerr << problem.source.file << ":" << problem.source.line
                  << (problem.field.empty() ? "" : ": field '" + problem.field + "'") << ": "
                  << problem.reason << "\n";
    }
    if (report.readProblems > int64_t(report.firstProblems.size())) {
        std::cerr << "... and " << report.readProblems - int64_t(report.firstProblems.size())
                  << " more: rlhf quarantine -d " << recipe.dataset << " --step read\n";
    }
    printReport(report);
}

struct QuarantineArguments {
    std::string project = ".", dataset, search, step;
    std::vector<int64_t> restore;
    int64_t limit = 50, offset = 0;
};

void runQuarantine(const QuarantineArguments& arguments)
{
    store::Project project = store::Project::open(arguments.project);
    auto& database = project.database();
    const auto dataset = database.datasetByName(arguments.dataset);
    if (!dataset) throw Error("no dataset named '" + arguments.dataset + "'");
    for (const int64_t row : arguments.restore) {
        const int64_t ordinal = database.restoreRejected(row);
        std::cout << "restored row " << row << " as document " << ordinal << std::endl;
    }
    if (!arguments.restore.empty()) return;
    const store::RejectedFilter filter{.text = arguments.search, .step = arguments.step};
    std::cout << database.countRejected(dataset->id, filter) << " rows" << std::endl;
    for (const auto& row :
         database.searchRejected(dataset->id, filter, arguments.offset, arguments.limit)) {
        std::cout << "#" << row.id << " " << row.step << " " << row.sourceFile << ":"
                  << row.sourceLine << (row.field.empty() ? "" : " [" + row.field + "]") << ": "
                  << row.reason;
        if (row.restoredAs) std::cout << " (restored as document " << *row.restoredAs << ")";
        std::cout << "\n";
    }
}

} // namespace

void addImportCommands(CLI::App& app)
{
    auto arguments = std::make_shared<ImportArguments>();
    auto* import = app.add_subcommand("import", "Import and clean files into a dataset");
    import->add_option("files", arguments->files, "Files to import")->check(CLI::ExistingPath);
    import->add_option("-p,--project", arguments->project, "Project folder")->capture_default_str();
    import->add_option("-n,--name", arguments->name, "Dataset name (created if new)");
    import->add_option("--recipe", arguments->recipe, "JSON recipe (as the import wizard saves)")
        ->check(CLI::ExistingFile);
    import
        ->add_option("-f,--format", arguments->format,
                     "auto, text, jsonl, json, csv, tsv, cornell, stackexchange, reddit")
        ->capture_default_str();
    import->add_option("--compression", arguments->compression, "auto, none, gzip or zstd")
        ->capture_default_str();
    import->add_option("--unit", arguments->unit, "Plain text: line, paragraph or file")
        ->capture_default_str();
    import
        ->add_option("--shape", arguments->shape,
                     "auto, text, alpaca, sharegpt, messages, preference, hh-rlhf")
        ->capture_default_str();
    import->add_option("--map", arguments->mappings,
                       "Field mapping canonical=field, e.g. text=body");
    import->add_option("--clean", arguments->steps, "Cleaning steps in order (comma separated)")
        ->delimiter(',')
        ->capture_default_str();
    import->add_flag("--no-clean", arguments->noClean, "Import without cleaning");
    import->add_flag("--reject-invalid-utf8", arguments->rejectInvalidUtf8,
                     "utf8 step: quarantine instead of repair");
    import->add_option("--min-chars", arguments->minChars, "length step: fewest characters");
    import->add_option("--max-chars", arguments->maxChars, "length step: most characters");
    import->add_option("--min-tokens", arguments->minTokens, "length step: fewest tokens");
    import->add_option("--max-tokens", arguments->maxTokens, "length step: most tokens");
    import->add_option("--tokenizer", arguments->tokenizer, "Project tokenizer for token bounds");
    import->add_option("--languages", arguments->languages, "language step: codes to keep")
        ->delimiter(',');
    import
        ->add_option("--min-language-confidence", arguments->minLanguageConfidence,
                     "language step: confidence below which text is unknown")
        ->capture_default_str();
    import->add_flag("--keep-unknown-language", arguments->keepUnknownLanguage,
                     "language step: keep text CLD2 cannot identify");
    import->add_option("--pii-types", arguments->piiTypes, "pii step: email, phone, ip, card")
        ->delimiter(',');
    import
        ->add_option("--blocklist", arguments->blocklistFile,
                     "blocklist step: file with one word or phrase per line")
        ->check(CLI::ExistingFile);
    import
        ->add_option("--near-dup-threshold", arguments->nearDupThreshold,
                     "near_dedup step: Jaccard similarity that counts as duplicate")
        ->capture_default_str();
    import->add_option("--val", arguments->val, "Share of records for validation")
        ->capture_default_str();
    import->add_option("--test", arguments->test, "Share of records for test")
        ->capture_default_str();
    import->add_option("--seed", arguments->seed, "Seed of the split")->capture_default_str();
    import->add_flag("--force", arguments->force,
                     "Import files this dataset holds rows from already (dedup still skips "
                     "the rows it holds)");
    import->add_flag("--print-recipe", arguments->printRecipe,
                     "Print the recipe these options make, import nothing");
    import->callback([=] { runImport(*arguments);
});

auto quarantine = std::make_shared<QuarantineArguments>();
auto* command = app.add_subcommand("quarantine", "List, search and restore quarantined rows");
command->add_option("-p,--project", quarantine->project, "Project folder")->capture_default_str();
command->add_option("-d,--dataset", quarantine->dataset, "Dataset")->required();
command->add_option("-s,--search", quarantine->search, "Text in the reason, file or row");
command->add_option("--step", quarantine->step, "Only rows removed by this step");
command->add_option("--limit", quarantine->limit, "Rows to list")->capture_default_str();
command->add_option("--offset", quarantine->offset, "Rows to skip")->capture_default_str();
command->add_option("--restore", quarantine->restore, "Row ids to restore");
command->callback([=] { runQuarantine(*quarantine); });
} // namespace rlhf::cli

} // namespace rlhf::cli
