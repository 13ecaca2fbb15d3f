// "Improve from feedback": the plan of the two runs that turn the feedback of a project's users
// into a better model. The feedback pairs (feedback_pairs.h) become a preference dataset; a
// reward model is refreshed on them (from the newest reward checkpoint that speaks the policy's
// vocabulary, else from the policy itself); then DPO (or PPO against the refreshed reward model)
// continues the checkpoint being improved. This file writes the options document and the two
// stage documents; running them is the caller's (the CLI's runStage, the studio's run queue), so
// the runs are ordinary runs of the project. Qt-free and torch-free.
//
// The options document, runs/<name>-improve.json, every field optional:
//   {"name": "feedback-2", "from": "checkpoints/5/step-000200", "method": "dpo",
//    "reward_from": "", "arena_votes": true, "val_fraction": 0.1, "epochs": 3, "batch_size": 8,
//    "reward": {"steps": 0, "lr": 5e-5}, "policy": {"steps": 0, "lr": 1e-5, "beta": 0.1},
//    "training": {"seed": 1337, "threads": 0, "precision": "auto"}}
#pragma once

#include "core/eval/feedback_pairs.h"
#include "core/util/word_table.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace rlhf::store {
class Project;
}

namespace rlhf::eval {

enum class ImproveMethod {
    Dpo, // direct preference optimisation on the feedback pairs (the default: simple, stable)
    Ppo, // PPO on the feedback prompts, scored by the refreshed reward model
};

inline constexpr WordTable<ImproveMethod, 2> improveMethodWords{{
    {ImproveMethod::Dpo, "dpo"},
    {ImproveMethod::Ppo, "ppo"},
}};

struct ImproveOptions {
    // Names the dataset ("<name>") and the runs ("<name>-reward", "<name>-dpo"); empty: the
    // first free "feedback-N".
    std::string name;
    // The checkpoint improved, project-relative (or a base model's folder); empty: the latest
    // checkpoint of the newest completed run that chats.
    std::string from;
    ImproveMethod method = ImproveMethod::Dpo;
    // Where the refreshed reward model starts; empty: the newest reward checkpoint with the
    // policy's vocabulary, else the policy (`from`).
    std::string rewardFrom;
    bool arenaVotes = true;   // arena votes with a winner are pairs too
    double valFraction = 0.1; // share of the prompts held out for evaluation, e.g. 0.1
    double epochs = 3;        // passes over the train pairs where a stage's steps are 0
    int64_t batchSize = 8;    // pairs (DPO, reward) or prompts (PPO) per step, e.g. 8
    int64_t rewardSteps = 0;  // 0: epochs x train pairs / batch size
    double rewardLr = 5e-5;   // e.g. 5e-5
    int64_t policySteps = 0;  // 0: as rewardSteps
    double policyLr = 1e-5;   // e.g. 1e-5
    double beta = 0.1;        // DPO's KL anchor, e.g. 0.1
    // More of the stages' "training" block, given to both: seed, threads, precision, device,
    // activation_checkpointing, ... (steps and batch_size are set above).
    nlohmann::json training = nlohmann::json::object();
};

// Strict, like the stage documents: unknown fields and out-of-range values throw rlhf::Error
// naming `where` and the field.
ImproveOptions improveOptionsFromJson(const nlohmann::json& json, const std::string& where);
nlohmann::json toJson(const ImproveOptions& options);

// What one improvement will do, resolved against the project.
struct ImprovePlan {
    ImproveOptions options; // its name filled in
    std::string policy;     // the checkpoint improved (as the project stores it)
    std::string rewardInit; // where the refreshed reward model starts
    std::string rewardNote; // why there: "the newest reward model, run 4 step 7", ...
    FeedbackReport report;
    FeedbackDataset dataset;
    int64_t rewardSteps = 0, policySteps = 0; // resolved
    nlohmann::json rewardDocument;            // the first run's stage document
};

// The checkpoint `from` defaults to: the latest checkpoint of the newest completed run that is
// not a reward model, else the first base model; empty when the project has neither.
std::string defaultImproveCheckpoint(const store::Database& database);

// Checks a stage document as the stage would (train::validateStageDocument, which this
// torch-free library cannot call itself); throws rlhf::Error naming `where` and the field.
using DocumentCheck = std::function<void(const nlohmann::json& document, const std::string& where)>;

// Resolves the plan and writes the feedback dataset into the project (nothing else: no run
// yet). Throws rlhf::Error before writing anything when `from` is no checkpoint or base model
// of the project, when there is no pair (the report's sentences say why), when the name is
// taken, or when `check` refuses either stage document.
ImprovePlan planImprove(store::Project& project, const ImproveOptions& options,
                        const DocumentCheck& check = {});

// The second run's stage document: DPO (or PPO) from plan.policy on the feedback dataset; PPO
// scores with `rewardCheckpoint` (project-relative), the first run's last checkpoint.
nlohmann::json policyDocument(const ImprovePlan& plan, const std::string& rewardCheckpoint);
// The run names, which are also their documents' file names: "<name>-reward" and
// "<name>-dpo" (or "-ppo").
inline std::string rewardRunName(const ImprovePlan& plan)
{
    return plan.options.name + "-reward";
}
std::string policyRunName(const ImprovePlan& plan);

// runs/<file>.json of the project: where the documents are written, as the stage wizard does.
std::filesystem::path runDocumentPath(const store::Project& project, const std::string& file);
// Writes `document` there (atomically), making runs/ when needed; returns the path.
std::filesystem::path writeRunDocument(const store::Project& project, const std::string& file,
                                       const nlohmann::json& document);

} // namespace rlhf::eval
