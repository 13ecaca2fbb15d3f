// The plan and stage documents of "improve from feedback" (see feedback_improve.h).
#include "core/eval/feedback_improve.h"

#include "core/store/names.h"
#include "core/store/project.h"
#include "core/train/option_ranges.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_fields.h"
#include "core/util/json_file.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <tuple>

namespace rlhf::eval {

namespace {

namespace ranges = train::ranges;

constexpr ValueRange epochRange{0, 1e6, Bound::Open};

JsonFields<ImproveOptions> makeImproveFields()
{
    JsonFields<ImproveOptions> reward, policy, fields;
    reward.number("steps", ValueRange{0, ranges::most}, &ImproveOptions::rewardSteps);
    reward.number("lr", ranges::lr, &ImproveOptions::rewardLr);
    policy.number("steps", ValueRange{0, ranges::most}, &ImproveOptions::policySteps);
    policy.number("lr", ranges::lr, &ImproveOptions::policyLr);
    policy.number("beta", ranges::dpoBeta, &ImproveOptions::beta);
    fields.field("name", &ImproveOptions::name);
    fields.field("from", &ImproveOptions::from);
    fields.word("method", improveMethodWords, &ImproveOptions::method);
    fields.field("reward_from", &ImproveOptions::rewardFrom);
    fields.field("arena_votes", &ImproveOptions::arenaVotes);
    fields.number("val_fraction", ranges::valFraction, &ImproveOptions::valFraction);
    fields.number("epochs", epochRange, &ImproveOptions::epochs);
    fields.number("batch_size", ranges::batchSize, &ImproveOptions::batchSize);
    fields.block("reward", reward);
    fields.block("policy", policy);
    fields.custom(
        "training",
        [](JsonReader& reader, ImproveOptions& options) {
            const nlohmann::json& training = reader.raw("training");
            if (training.is_null()) return;
            if (!training.is_object()) reader.fail("training", "expected an object");
            for (const char* key : {"steps", "batch_size"})
                if (training.contains(key))
                    reader.fail(std::string("training.") + key,
                                "set by the plan: give reward.steps, policy.steps and batch_size");
            options.training = training; // the stages' own reader checks every field
        },
        [](const ImproveOptions& options, nlohmann::ordered_json& json) {
            json["training"] = nlohmann::ordered_json::parse(options.training.dump());
        });
    return fields;
}

const JsonFields<ImproveOptions>& improveFields()
{
    static const JsonFields<ImproveOptions> fields = makeImproveFields();
    return fields;
}

// The vocabulary size in a checkpoint's config.json; 0 when it cannot be read.
int64_t vocabularyOf(const store::Project& project, const std::string& checkpoint)
{
    try {
        const nlohmann::json config =
            readJsonFile(project.paths().absolute(checkpoint) / "config.json");
        return config.value("vocab_size", int64_t(0));
    } catch (const std::exception&) {
        return 0;
    }
}

// Whether `path` is a checkpoint or a base model of the project.
bool isKnownCheckpoint(const store::Database& database, const std::string& path)
{
    if (database.checkpointAt(path)) return true;
    const auto models = database.models();
    return std::any_of(models.begin(), models.end(),
                       [&](const store::BaseModel& model) { return model.path == path; });
}

// Where the refreshed reward model starts, and why there.
std::pair<std::string, std::string> rewardStart(const store::Project& project,
                                                const std::string& policy)
{
    const store::Database& database = project.database();
    const int64_t vocabulary = vocabularyOf(project, policy);
    std::vector<store::Run> runs = database.runs();
    std::reverse(runs.begin(), runs.end()); // the newest first
    std::string skipped;
    for (const store::Run& run : runs) {
        if (run.stage != store::RunStage::Reward || run.status != store::RunStatus::Completed)
            continue;
        const auto latest = database.latestCheckpoint(run.id);
        if (!latest) continue;
        const std::string where = "run " + std::to_string(run.id) + " (" + run.name + ") step " +
                                  std::to_string(latest->step);
        if (vocabulary > 0 && vocabularyOf(project, latest->path) == vocabulary)
            return {latest->path, "the newest reward model, " + where};
        if (skipped.empty()) skipped = where;
    }
    if (!skipped.empty())
        return {policy,
                "the policy: the newest reward model, " + skipped + ", has another vocabulary"};
    return {policy, "the policy: the project has no completed reward model yet"};
}

int64_t autoSteps(int64_t configured, double epochs, int64_t pairs, int64_t batchSize)
{
    if (configured > 0) return configured;
    const double steps = std::ceil(epochs * double(pairs) / double(batchSize));
    return std::clamp<int64_t>(int64_t(steps), 1, int64_t(ranges::most));
}

// The part both stage documents share: dataset, optimizer, training.
nlohmann::json stageDocument(const ImprovePlan& plan, const char* stage, const std::string& init,
                             int64_t steps, double lr, bool evaluate)
{
    const ImproveOptions& options = plan.options;
    nlohmann::json training = options.training;
    training["steps"] = steps;
    training["batch_size"] = options.batchSize;
    if (!training.contains("eval_every")) training["eval_every"] = 0;             // at the end
    if (!training.contains("checkpoint_every")) training["checkpoint_every"] = 0; // at the end
    const bool val = evaluate && plan.dataset.val > 0;
    return {
        {"stage", stage},
        {"name", options.name + "-" + stage},
        {"init", init},
        {"data", {{"dataset", plan.dataset.name}, {"train", "train"}, {"val", val ? "val" : ""}}},
        {"optimizer", {{"lr", lr}, {"min_lr", lr / 10}, {"warmup_steps", 0}}},
        {"training", training}};
}

} // namespace

ImproveOptions improveOptionsFromJson(const nlohmann::json& json, const std::string& where)
{
    if (!json.is_object()) throw Error(where + ": expected a JSON object");
    JsonReader reader(json, where);
    ImproveOptions options;
    improveFields().read(reader, options);
    return options;
}

nlohmann::json toJson(const ImproveOptions& options)
{
    return nlohmann::json::parse(improveFields().write(options).dump());
}

std::string defaultImproveCheckpoint(const store::Database& database)
{
    std::vector<store::Run> runs = database.runs();
    std::reverse(runs.begin(), runs.end());
    for (const store::Run& run : runs) {
        if (run.stage == store::RunStage::Reward || run.status != store::RunStatus::Completed)
            continue;
        if (const auto latest = database.latestCheckpoint(run.id)) return latest->path;
    }
    const auto models = database.models();
    return models.empty() ? std::string() : models.front().path;
}

ImprovePlan planImprove(store::Project& project, const ImproveOptions& options,
                        const DocumentCheck& check)
{
    store::Database& database = project.database();
    ImprovePlan plan;
    plan.options = options;
    plan.policy = options.from.empty() ? defaultImproveCheckpoint(database) : options.from;
    if (plan.policy.empty())
        throw Error("from: the project has no checkpoint to improve: train a model first");
    if (!isKnownCheckpoint(database, plan.policy))
        throw Error("from: " + plan.policy + " is no checkpoint or base model of this project");
    if (options.rewardFrom.empty()) {
        std::tie(plan.rewardInit, plan.rewardNote) = rewardStart(project, plan.policy);
    } else {
        if (!isKnownCheckpoint(database, options.rewardFrom))
            throw Error("reward_from: " + options.rewardFrom +
                        " is no checkpoint or base model of this project");
        plan.rewardInit = options.rewardFrom;
        plan.rewardNote = "reward_from";
    }
    if (plan.options.name.empty()) plan.options.name = nextDatasetName(database, "feedback");
    withContext("name", [&] { store::checkName("improvement", plan.options.name); });

    const FeedbackPairs pairs =
        feedbackPairs(database, options.arenaVotes ? BattleVotes::Include : BattleVotes::Exclude);
    plan.report = pairs.report;
    if (pairs.pairs.empty()) {
        std::string why;
        for (const std::string& line : pairs.report.lines())
            why += "; " + line;
        throw Error("no preference pair to learn from" + why);
    }
    // The split as the dataset will have it, so the documents are complete and checked before
    // anything is written.
    plan.dataset.name = plan.options.name;
    for (const FeedbackPair& pair : pairs.pairs)
        ++(promptInValSplit(pair.promptJson, options.valFraction) ? plan.dataset.val
                                                                  : plan.dataset.train);
    plan.rewardSteps =
        autoSteps(options.rewardSteps, options.epochs, plan.dataset.train, options.batchSize);
    plan.policySteps = options.policySteps > 0 ? options.policySteps : plan.rewardSteps;
    plan.rewardDocument = stageDocument(plan, "reward", plan.rewardInit, plan.rewardSteps,
                                        options.rewardLr, /*evaluate=*/true);
    if (check) {
        check(plan.rewardDocument, rewardRunName(plan));
        check(policyDocument(plan, plan.rewardInit), policyRunName(plan));
    }
    plan.dataset = writeFeedbackDataset(database, pairs, plan.options.name, options.valFraction);
    return plan;
}

std::string policyRunName(const ImprovePlan& plan)
{
    return plan.options.name + (plan.options.method == ImproveMethod::Dpo ? "-dpo" : "-ppo");
}

nlohmann::json policyDocument(const ImprovePlan& plan, const std::string& rewardCheckpoint)
{
    const ImproveOptions& options = plan.options;
    if (options.method == ImproveMethod::Dpo) {
        nlohmann::json document = stageDocument(plan, "dpo", plan.policy, plan.policySteps,
                                                options.policyLr, /*evaluate=*/true);
        document["dpo"] = {{"beta", options.beta}, {"loss", "dpo"}};
        return document;
    }
    // PPO samples the feedback prompts and scores them with the refreshed reward model; its
    // evaluation scores held-out prompts with a task rule, which feedback does not have.
    nlohmann::json document = stageDocument(plan, "ppo", plan.policy, plan.policySteps,
                                            options.policyLr, /*evaluate=*/false);
    document["reward"] = {{"model", rewardCheckpoint}};
    return document;
}

std::filesystem::path runDocumentPath(const store::Project& project, const std::string& file)
{
    return project.paths().root() / "runs" / (file + ".json");
}

std::filesystem::path writeRunDocument(const store::Project& project, const std::string& file,
                                       const nlohmann::json& document)
{
    const std::filesystem::path path = runDocumentPath(project, file);
    return withContext(path.string(), [&] {
        std::filesystem::create_directories(path.parent_path());
        const std::string text = document.dump(2) + "\n";
        AtomicFile out(path);
        out.write(std::as_bytes(std::span(text.data(), text.size())));
        out.commit();
        return path;
    });
}

} // namespace rlhf::eval
