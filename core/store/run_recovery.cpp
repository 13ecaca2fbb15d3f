#include "core/store/run_recovery.h"

#include "core/store/database.h"
#include "core/store/process_tag.h"
#include "core/store/project.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>

namespace rlhf::store {

namespace fs = std::filesystem;

namespace {

bool stillTraining(const Run& run)
{
    if (run.status != RunStatus::Running && run.status != RunStatus::Paused) return false;
    return processState(run.owner) != ProcessState::Gone;
}

// The step a published checkpoint folder was saved at: its trainer_state.json's "step", or
// none for a folder that is not a whole checkpoint.
std::optional<int64_t> savedStep(const fs::path& folder)
{
    std::ifstream file(folder / "trainer_state.json");
    if (!file) return std::nullopt;
    const auto state = nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/false);
    if (!state.is_object() || !state.contains("step") || !state["step"].is_number_integer())
        return std::nullopt;
    return state["step"].get<int64_t>();
}

// The latest value of each metric at or before `step`, as the recording observer stores it.
std::string metricsAt(const Database& database, Id run, int64_t step)
{
    nlohmann::json latest = nlohmann::json::object();
    for (const auto& name : database.metricNames(run)) {
        const auto series = database.metricSeries(run, name);
        const auto after = std::upper_bound(series.begin(), series.end(), step,
                                            [](int64_t s, const auto& p) { return s < p.step; });
        if (after != series.begin()) latest[name] = std::prev(after)->value;
    }
    return latest.dump();
}

// Removes the run's half-written checkpoint folders and records the published ones the
// database does not list.
void settleCheckpoints(Database& database, const ProjectPaths& paths, const Run& run,
                       RecoveryReport& report)
{
    const fs::path root = paths.checkpoints() / ("run-" + std::to_string(run.id));
    std::error_code error;
    if (!fs::is_directory(root, error)) return;
    std::set<int64_t> recorded;
    for (const auto& checkpoint : database.checkpoints(run.id))
        recorded.insert(checkpoint.step);
    std::vector<fs::path> folders;
    for (const auto& entry : fs::directory_iterator(root, error))
        if (entry.is_directory() && entry.path().filename().string().starts_with("step-"))
            folders.push_back(entry.path());
    std::sort(folders.begin(), folders.end());
    for (const auto& folder : folders) {
        if (folder.extension() == ".tmp") {
            fs::remove_all(folder);
            report.removedPartial.push_back(folder);
            continue;
        }
        const auto step = savedStep(folder);
        if (!step || recorded.contains(*step)) continue;
        database.addCheckpoint(run.id, *step, paths.relative(folder),
                               metricsAt(database, run.id, *step));
        report.adoptedCheckpoints.emplace_back(run.id, *step);
    }
}

// Undoes the imports whose process is gone, as the importer undoes a failed one.
void undoCutImports(Database& database, RecoveryReport& report)
{
    for (const ImportUnderWay& import : database.importsUnderWay()) {
        if (processState(import.owner) != ProcessState::Gone) continue;
        const auto dataset = database.dataset(import.dataset);
        const std::string name = dataset ? dataset->name : std::to_string(import.dataset);
        if (import.createdDataset) {
            database.removeDataset(import.dataset); // its mark goes with it
        } else {
            database.removeImportedSince(import.dataset, import.firstOrdinal, import.lastRejected);
            database.markImportFinished(import.dataset);
        }
        report.undoneImports.emplace_back(name, import.createdDataset);
    }
}

double lastSeen(const Database& database, const Run& run)
{
    double seen = run.started;
    for (const auto& name : database.metricNames(run.id))
        for (const auto& sample : database.metricSeries(run.id, name))
            seen = std::max(seen, sample.wallTime);
    return seen;
}

} // namespace

std::vector<std::string> RecoveryReport::lines() const
{
    std::vector<std::string> lines;
    for (const Id run : interrupted)
        lines.push_back("run " + std::to_string(run) +
                        " was interrupted (its process is gone): marked 'interrupted'");
    for (const auto& folder : removedPartial)
        lines.push_back("removed " + folder.string() + ", a checkpoint whose writing was cut off");
    for (const auto& [run, step] : adoptedCheckpoints)
        lines.push_back("recorded the checkpoint of run " + std::to_string(run) + " at step " +
                        std::to_string(step) + ", saved but not recorded when its process ended");
    for (const auto& [dataset, removed] : undoneImports)
        lines.push_back("an import into dataset '" + dataset +
                        "' was cut off (its process is gone): " +
                        (removed ? "the dataset it was creating was removed"
                                 : "the rows it had written were taken out"));
    return lines;
}

RecoveryReport recoverRuns(Database& database, const ProjectPaths& paths)
{
    RecoveryReport report;
    if (database.readOnly()) return report;
    withContext("settling interrupted runs and imports", [&] {
        undoCutImports(database, report);
        for (const Run& run : database.runs()) {
            if (stillTraining(run)) continue;
            settleCheckpoints(database, paths, run, report);
            if (isFinal(run.status)) continue;
            database.finishRun(run.id, RunStatus::Interrupted, lastSeen(database, run));
            report.interrupted.push_back(run.id);
        }
    });
    return report;
}

} // namespace rlhf::store
