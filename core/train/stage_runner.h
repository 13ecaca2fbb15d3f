// Runs one stage document (pretrain, sft, reward, dpo, ppo or grpo) inside a project, the way both
// the CLI and the studio's worker thread do: records the run in the project database, maps its
// token files, drives the stage, and stores every metric and checkpoint as it happens. Paths in the
// document are relative to the project folder.
#pragma once

#include "core/train/health_checks.h"
#include "core/train/pretrain.h"
#include "core/train/stage_observer.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace rlhf::store {
class Database;
}
namespace rlhf::dist {
class Communicator;
}

namespace rlhf::train {

struct StageRunReport {
    int64_t runId = 0;  // row id in the project's runs table
    std::string status; // "completed", "stopped" or "failed"
    StageResult result;
};

// `where` names the document in messages (usually its file name). Throws rlhf::Error for a bad
// document before any run is recorded; a failure during training marks the run failed and
// rethrows.
StageRunReport runStage(const std::filesystem::path& project, const nlohmann::json& document,
                        const std::string& where, StageObserver& observer, const StopToken& stop);
// The same as one rank of a data-parallel job: every rank trains its shard, rank 0 alone
// records the run, its metrics (averaged over ranks) and checkpoints; all report its run id.
StageRunReport runStage(const std::filesystem::path& project, const nlohmann::json& document,
                        const std::string& where, StageObserver& observer, const StopToken& stop,
                        dist::Communicator& communicator);

// Parses `document` with its stage's strict parser (pretrain, sft, reward, dpo, ppo, grpo) and
// throws rlhf::Error naming the field, exactly as runStage would, without touching a project:
// what the stage wizard's final check and `rlhf train --check` call.
void validateStageDocument(const nlohmann::json& document, const std::string& where);

// The health warnings of a recorded run, from its metrics in the project database.
std::vector<HealthWarning> runHealth(const store::Database& database, int64_t runId);

} // namespace rlhf::train
