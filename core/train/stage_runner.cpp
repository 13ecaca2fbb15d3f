#include "core/train/stage_runner.h"

#include "core/dist/communicator.h"
#include "core/store/project.h"
#include "core/store/token_file.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

namespace rlhf::train {

namespace {

// Forwards everything to the caller's observer and records metrics and checkpoints.
class RecordingObserver final : public StageObserver {
public:
    RecordingObserver(store::Project& project, store::Id run, StageObserver& next)
        : m_project(project), m_run(run), m_next(next)
    {
    }

    void onMetrics(const StepMetrics& metrics) override
    {
        std::vector<store::MetricPoint> points;
        for (const auto& [name, value] : metrics.values) {
            points.push_back({.step = metrics.step, .name = name, .value = value});
            m_latest[name] = value;
        }
        m_project.database().appendMetrics(m_run, points);
        m_next.onMetrics(metrics);
    }
    void onLog(const std::string& line) override { m_next.onLog(line); }
    void onProgress(int64_t step, int64_t total) override { m_next.onProgress(step, total); }
    void onCheckpoint(const std::string& path, int64_t step) override
    {
        m_project.database().addCheckpoint(m_run, step, m_project.paths().relative(path),
                                           m_latest.dump());
        m_next.onCheckpoint(path, step);
    }

private:
    store::Project& m_project;
    store::Id m_run;
    StageObserver& m_next;
    nlohmann::json m_latest = nlohmann::json::object(); // last value of every metric
};

// Every token must have an embedding row: a clear message instead of an index error mid-run.
void checkTokenIds(const store::TokenFileReader& file, const PretrainConfig& config,
                   const std::string& where)
{
    const auto tokens = file.tokens();
    const auto largest = tokens.empty() ? 0u : *std::max_element(tokens.begin(), tokens.end());
    if (largest >= uint64_t(config.model.vocabSize))
        throw Error(where + ": model.vocab_size: " + std::to_string(config.model.vocabSize) +
                    " is too small for token id " + std::to_string(largest) + " in " +
                    file.path().string());
    if (int64_t(tokens.size()) <= config.model.contextLength)
        throw Error(where + ": " + file.path().string() + " holds " +
                    std::to_string(tokens.size()) +
                    " tokens, fewer than one window of model.context_length + 1 = " +
                    std::to_string(config.model.contextLength + 1));
}

} // namespace

StageRunReport runStage(const std::filesystem::path& projectFolder, const nlohmann::json& document,
                        const std::string& where, StageObserver& observer, const StopToken& stop)
{
    PretrainConfig config = pretrainConfigFromJson(document, where);
    store::Project project = store::Project::open(projectFolder);
    const store::ProjectPaths& paths = project.paths();

    // Resolve project-relative paths and map the token files before anything is recorded.
    auto resolve = [&](std::string& path) {
        if (!path.empty()) path = paths.absolute(path).string();
    };
    resolve(config.trainTokens);
    resolve(config.valTokens);
    resolve(config.tokenizer);
    resolve(config.resumeFrom);
    const store::TokenFileReader train(config.trainTokens);
    std::optional<store::TokenFileReader> val;
    if (!config.valTokens.empty()) val.emplace(config.valTokens);
    if (!config.tokenizer.empty() && !std::filesystem::exists(config.tokenizer))
        throw Error(where + ": tokenizer: " + config.tokenizer + " does not exist");
    checkTokenIds(train, config, where);
    if (val) checkTokenIds(*val, config, where);

    // A resume continues the run that saved the checkpoint: that run is the new one's parent.
    std::optional<store::Id> parent;
    if (!config.resumeFrom.empty()) {
        const std::filesystem::path checkpoint = config.resumeFrom;
        if (const auto saved =
                project.database().checkpointAt(paths.relative(checkpoint.lexically_normal())))
            parent = saved->run;
    }
    StageRunReport report;
    report.runId = project.database().createRun(store::RunStage::Pretrain, config.name,
                                                document.dump(2), parent);
    observer.onRunRecorded(report.runId);
    RecordingObserver recorder(project, report.runId, observer);
    dist::LocalCommunicator communicator;
    const auto checkpointRoot = paths.checkpoints() / ("run-" + std::to_string(report.runId));
    try {
        report.result =
            runPretrain(config, {train.tokens(), val ? val->tokens() : std::span<const uint32_t>()},
                        checkpointRoot, recorder, stop, communicator);
    } catch (...) {
        project.database().finishRun(report.runId, store::RunStatus::Failed);
        report.status = "failed";
        throw;
    }
    const auto status =
        report.result.stopped ? store::RunStatus::Stopped : store::RunStatus::Completed;
    project.database().finishRun(report.runId, status);
    report.status = std::string(store::runStatusName(status));
    return report;
}

} // namespace rlhf::train
