#include "core/train/stage_runner.h"

#include "core/dist/communicator.h"
#include "core/model/checkpoint.h"
#include "core/text/tokenizer.h"
#include "core/text/tokenizer_json.h"
#include "core/train/dpo.h"
#include "core/train/grpo.h"
#include "core/train/health_checks.h"
#include "core/train/ppo.h"
#include "core/train/reward.h"
#include "core/train/sft.h"
#include "core/store/project.h"
#include "core/store/token_file.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <type_traits>

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
    void onPhaseProgress(const std::string& phase, const std::string& unit, int64_t done,
                         int64_t total) override
    {
        m_next.onPhaseProgress(phase, unit, done, total);
    }
    void onRollouts(const std::vector<store::Rollout>& rollouts) override
    {
        if (!rollouts.empty())
            m_project.database().addRollouts(m_run, rollouts.front().step, rollouts);
        m_next.onRollouts(rollouts);
    }
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

text::Tokenizer loadTokenizer(const std::string& file, const std::string& where)
{
    return withContext(where + ": tokenizer", [&] { return text::loadTokenizerJson(file); });
}

// A checkpoint carries its tokenizer, and one whose tokenizer has ids past the model's
// embedding rows cannot be loaded: refused before step 1 rather than after the run.
void checkVocabulary(const text::Tokenizer& tokenizer, int64_t modelVocab, const std::string& what)
{
    if (int64_t(tokenizer.vocabSize()) > modelVocab)
        throw Error(what + ": the model has " + std::to_string(modelVocab) +
                    " token embeddings but its tokenizer " + std::to_string(tokenizer.vocabSize()) +
                    " tokens; the checkpoints could not be loaded (raise model.vocab_size, or "
                    "use the tokenizer the model was trained with)");
}

// The run that saved `checkpoint` (project-relative), if this project has it: a resume
// continues that run, and a later stage descends from the run its init checkpoint came from.
std::optional<store::Id> runOfCheckpoint(store::Project& project, const std::string& checkpoint)
{
    if (checkpoint.empty()) return std::nullopt;
    const std::filesystem::path path = checkpoint;
    if (const auto saved =
            project.database().checkpointAt(project.paths().relative(path.lexically_normal())))
        return saved->run;
    return std::nullopt;
}

// The run id rank 0 recorded, on every rank (ids are small integers: exact in a double).
store::Id runIdOfRankZero(dist::Communicator& communicator, store::Id id)
{
    const double mine = communicator.rank() == 0 ? double(id) : 0.0;
    return store::Id(
        dist::meanOverRanks(communicator, {mine}).front() * double(communicator.worldSize()) + 0.5);
}

// Records the run, runs `body` with the recording observer and the run's checkpoint folder,
// and stamps the final status (failed on an exception, which is rethrown). Only rank 0 writes
// the database; the other ranks train with the caller's observer under rank 0's run id.
StageRunReport
recordRun(store::Project& project, store::RunStage stage, const std::string& name,
          const nlohmann::json& document, std::optional<store::Id> parent, StageObserver& observer,
          dist::Communicator& communicator,
          const std::function<StageResult(StageObserver&, const std::filesystem::path&)>& body)
{
    StageRunReport report;
    const bool writes = communicator.rank() == 0;
    if (writes) report.runId = project.database().createRun(stage, name, document.dump(2), parent);
    report.runId = runIdOfRankZero(communicator, report.runId);
    const auto checkpointRoot =
        project.paths().checkpoints() / ("run-" + std::to_string(report.runId));
    if (!writes) {
        report.result = body(observer, checkpointRoot);
        report.status = report.result.stopped ? "stopped" : "completed";
        return report;
    }
    observer.onRunRecorded(report.runId);
    RecordingObserver recorder(project, report.runId, observer);
    try {
        report.result = body(recorder, checkpointRoot);
    } catch (...) {
        // The error that ended the run is the one to report: when recording the failure fails
        // too (the same full disk), that second error is only logged.
        try {
            project.database().finishRun(report.runId, store::RunStatus::Failed);
        } catch (const std::exception& second) {
            observer.onLog(std::string("could not record the run as failed: ") + second.what());
        }
        report.status = "failed";
        throw;
    }
    const auto status =
        report.result.stopped ? store::RunStatus::Stopped : store::RunStatus::Completed;
    project.database().finishRun(report.runId, status);
    report.status = std::string(store::runStatusName(status));
    for (const auto& warning : runHealth(project.database(), report.runId))
        observer.onLog("health: " + warning.message);
    return report;
}

StageRunReport runPretrainStage(store::Project& project, const nlohmann::json& document,
                                const std::string& where, StageObserver& observer,
                                const StopToken& stop, dist::Communicator& communicator)
{
    PretrainConfig config = pretrainConfigFromJson(document, where);
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
    if (!config.tokenizer.empty()) // it goes into every checkpoint: it must load with the model
        checkVocabulary(loadTokenizer(config.tokenizer, where), config.model.vocabSize,
                        where + ": model.vocab_size");
    checkTokenIds(train, config, where);
    if (val) checkTokenIds(*val, config, where);

    return recordRun(project, store::RunStage::Pretrain, config.name, document,
                     runOfCheckpoint(project, config.resumeFrom), observer, communicator,
                     [&](StageObserver& recorder, const std::filesystem::path& checkpoints) {
                         return runPretrain(
                             config,
                             {train.tokens(), val ? val->tokens() : std::span<const uint32_t>()},
                             {checkpoints, recorder, stop, communicator});
                     });
}

// Makes the shared paths absolute and checks that the checkpoints and tokenizer exist.
void resolveFineTune(const store::ProjectPaths& paths, FineTuneConfig& config,
                     const std::string& where)
{
    auto resolve = [&](std::string& path) {
        if (!path.empty()) path = paths.absolute(path).string();
    };
    resolve(config.init);
    resolve(config.resumeFrom);
    resolve(config.tokenizer);
    const std::filesystem::path init = config.init;
    if (!std::filesystem::exists(init / "config.json") && !model::isAdapterFolder(init))
        throw Error(where + ": init: " + config.init + " is not a checkpoint folder");
    if (config.tokenizer.empty())
        config.tokenizer = (std::filesystem::path(config.init) / "tokenizer.json").string();
    if (!std::filesystem::exists(config.tokenizer))
        throw Error(where + ": tokenizer: " + config.tokenizer + " does not exist");
}

// Parses, resolves and loads the tokenizer and the parent run shared by the later stages: all
// before a run is recorded, so a bad document records nothing.
template <typename Config> struct FineTuneStart {
    Config config;
    text::Tokenizer tokenizer;
    std::optional<store::Id> parent;
};

template <auto parse>
auto startFineTune(store::Project& project, const nlohmann::json& document,
                   const std::string& where)
{
    auto config = parse(document, where);
    resolveFineTune(project.paths(), config, where);
    text::Tokenizer tokenizer = loadTokenizer(config.tokenizer, where);
    checkVocabulary(tokenizer, model::loadCheckpointConfig(config.init).vocabSize,
                    where + ": init " + config.init);
    const auto parent =
        runOfCheckpoint(project, config.resumeFrom.empty() ? config.init : config.resumeFrom);
    return FineTuneStart<decltype(config)>{std::move(config), std::move(tokenizer), parent};
}

// The stages that train on records (sft, reward, dpo): a dataset's split of `kind`, or (reward
// and dpo; the config parser refuses labels elsewhere) this project's labelled pairs.
template <auto parse, auto train, data::RecordKind kind>
StageRunReport runRecordStage(store::Project& project, const nlohmann::json& document,
                              const std::string& where, StageObserver& observer,
                              const StopToken& stop, dist::Communicator& communicator)
{
    auto start = startFineTune<parse>(project, document, where);
    const auto& config = start.config;
    const store::Database& database = project.database();
    const auto& data = config.data;
    ChatData records{start.tokenizer, {}, {}};
    if (data.labels) {
        records.train = loadLabelRecords(database, *data.labels, data.valFraction, "train", where);
        records.val = loadLabelRecords(database, *data.labels, data.valFraction, "val", where);
    } else {
        records.train = loadStageRecords(database, data.dataset, data.train, kind, where);
        if (!data.val.empty())
            records.val = loadStageRecords(database, data.dataset, data.val, kind, where);
    }
    // The reward stage's on-policy check answers prompts of another dataset.
    std::vector<PromptExample> probe;
    constexpr bool isReward = std::is_same_v<std::decay_t<decltype(config)>, RewardConfig>;
    if constexpr (isReward)
        if (config.onPolicy)
            probe = loadStagePrompts(database, config.onPolicy->dataset, config.onPolicy->split,
                                     where + ": on_policy");
    return recordRun(project, config.stage, config.name, document, start.parent, observer,
                     communicator,
                     [&](StageObserver& recorder, const std::filesystem::path& checkpoints) {
                         const RunContext context{checkpoints, recorder, stop, communicator};
                         if constexpr (isReward)
                             return train(config, records, probe, context);
                         else
                             return train(config, records, context);
                     });
}

// The reinforcement-learning stages (ppo, grpo): prompts of a dataset, the reward model and the
// optional ptx token file.
template <auto parse, auto train>
StageRunReport runPromptStage(store::Project& project, const nlohmann::json& document,
                              const std::string& where, StageObserver& observer,
                              const StopToken& stop, dist::Communicator& communicator)
{
    auto start = startFineTune<parse>(project, document, where);
    RlConfig& config = start.config;
    const store::Database& database = project.database();
    auto resolve = [&](std::string& path) {
        if (!path.empty()) path = project.paths().absolute(path).string();
    };
    resolve(config.rewardModel);
    for (std::string& member : config.rewardEnsemble)
        resolve(member);
    resolve(config.ptxTokens);
    std::optional<store::TokenFileReader> ptx;
    if (!config.ptxTokens.empty()) ptx.emplace(config.ptxTokens);
    const auto& data = config.data;
    RlData prompts{start.tokenizer, loadStagePrompts(database, data.dataset, data.train, where),
                   data.val.empty() ? std::vector<PromptExample>()
                                    : loadStagePrompts(database, data.dataset, data.val, where),
                   ptx ? ptx->tokens() : std::span<const uint32_t>()};
    return recordRun(project, config.stage, config.name, document, start.parent, observer,
                     communicator,
                     [&](StageObserver& recorder, const std::filesystem::path& checkpoints) {
                         return train(config, prompts, {checkpoints, recorder, stop, communicator});
                     });
}

FineTuneConfig parseSft(const nlohmann::json& document, const std::string& where)
{
    return fineTuneConfigFromJson(document, store::RunStage::Sft, where);
}

RewardConfig parseReward(const nlohmann::json& document, const std::string& where)
{
    return rewardConfigFromJson(document, where);
}

RlConfig parsePpo(const nlohmann::json& document, const std::string& where)
{
    return rlConfigFromJson(document, store::RunStage::Ppo, where);
}

RlConfig parseGrpo(const nlohmann::json& document, const std::string& where)
{
    return rlConfigFromJson(document, store::RunStage::Grpo, where);
}

template <auto parse> void checkDocument(const nlohmann::json& document, const std::string& where)
{
    parse(document, where);
}

// The one stage dispatch: each stage's strict parser (what --check and the wizard call) and its
// run, which parses with the same parser, loads what the stage trains on and trains.
struct StageKind {
    store::RunStage stage;
    void (*check)(const nlohmann::json& document, const std::string& where);
    StageRunReport (*run)(store::Project& project, const nlohmann::json& document,
                          const std::string& where, StageObserver& observer, const StopToken& stop,
                          dist::Communicator& communicator);
};

using data::RecordKind;
using store::RunStage;

constexpr std::array<StageKind, 6> stageKinds{{
    {RunStage::Pretrain, checkDocument<pretrainConfigFromJson>, runPretrainStage},
    {RunStage::Sft, checkDocument<parseSft>, runRecordStage<parseSft, runSft, RecordKind::Chat>},
    {RunStage::Reward, checkDocument<parseReward>,
     runRecordStage<parseReward, runReward, RecordKind::Preference>},
    {RunStage::Dpo, checkDocument<dpoConfigFromJson>,
     runRecordStage<dpoConfigFromJson, runDpo, RecordKind::Preference>},
    {RunStage::Ppo, checkDocument<parsePpo>, runPromptStage<parsePpo, runPpo>},
    {RunStage::Grpo, checkDocument<parseGrpo>, runPromptStage<parseGrpo, runGrpo>},
}};

const StageKind& stageKind(const nlohmann::json& document, const std::string& where)
{
    const RunStage stage = stageOf(document, where);
    return *std::find_if(stageKinds.begin(), stageKinds.end(),
                         [&](const StageKind& kind) { return kind.stage == stage; });
}

} // namespace

std::vector<HealthWarning> runHealth(const store::Database& database, int64_t runId)
{
    const auto run = database.run(runId);
    return checkRunHealth(
        [&](std::string_view name) {
            std::vector<SeriesPoint> points;
            for (const auto& sample : database.metricSeries(runId, name))
                points.push_back({sample.step, sample.value});
            return points;
        },
        run ? run->stage : store::RunStage::Pretrain);
}

void validateStageDocument(const nlohmann::json& document, const std::string& where)
{
    stageKind(document, where).check(document, where);
}

StageRunReport runStage(const std::filesystem::path& projectFolder, const nlohmann::json& document,
                        const std::string& where, StageObserver& observer, const StopToken& stop)
{
    dist::LocalCommunicator communicator;
    return runStage(projectFolder, document, where, observer, stop, communicator);
}

StageRunReport runStage(const std::filesystem::path& projectFolder, const nlohmann::json& document,
                        const std::string& where, StageObserver& observer, const StopToken& stop,
                        dist::Communicator& communicator)
{
    const StageKind& kind = stageKind(document, where);
    // Rank 0 opens (and, for an older schema, migrates) the project before the others read it.
    std::optional<store::Project> project;
    if (communicator.rank() == 0) {
        project.emplace(store::Project::open(projectFolder));
        for (const auto& line : project->recovery().lines())
            observer.onLog(line);
    }
    communicator.barrier();
    if (communicator.rank() != 0) project.emplace(store::Project::open(projectFolder));
    return kind.run(*project, document, where, observer, stop, communicator);
}

} // namespace rlhf::train
