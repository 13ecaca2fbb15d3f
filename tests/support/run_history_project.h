// A project whose run history makes "the newest checkpoint" a real question, for the tests of
// the panes' default checkpoints: runs in creation order "base" (pretrain, steps 10 and 20,
// completed), "sft" (from base, steps 5 and 15, completed), "rm" (a reward model from sft, step
// 7, completed) and "live" (from sft, step 3, still running). Only the database is written: the
// checkpoint folders do not exist, so nothing may load them.
#pragma once

#include "core/store/project.h"

#include <filesystem>

namespace fixtures {

// The paths the history's checkpoints are stored under.
struct RunHistory {
    static constexpr const char* baseStep10 = "checkpoints/1/step-000010";
    static constexpr const char* baseStep20 = "checkpoints/1/step-000020";
    static constexpr const char* sftStep5 = "checkpoints/2/step-000005";
    static constexpr const char* sftStep15 = "checkpoints/2/step-000015"; // the default
    static constexpr const char* rewardStep7 = "checkpoints/3/step-000007";
    static constexpr const char* liveStep3 = "checkpoints/4/step-000003";
};

// Creates the project at `root` (which must not hold one).
inline void writeRunHistoryProject(const std::filesystem::path& root)
{
    namespace store = rlhf::store;
    auto project = store::Project::create(root);
    auto& database = project.database();
    const auto base = database.createRun(store::RunStage::Pretrain, "base", "{}");
    database.addCheckpoint(base, 10, RunHistory::baseStep10);
    database.addCheckpoint(base, 20, RunHistory::baseStep20);
    database.finishRun(base, store::RunStatus::Completed);
    const auto sft = database.createRun(store::RunStage::Sft, "sft", "{}", base);
    database.addCheckpoint(sft, 5, RunHistory::sftStep5);
    database.addCheckpoint(sft, 15, RunHistory::sftStep15);
    database.finishRun(sft, store::RunStatus::Completed);
    const auto reward = database.createRun(store::RunStage::Reward, "rm", "{}", sft);
    database.addCheckpoint(reward, 7, RunHistory::rewardStep7);
    database.finishRun(reward, store::RunStatus::Completed);
    const auto live = database.createRun(store::RunStage::Sft, "live", "{}", sft);
    database.addCheckpoint(live, 3, RunHistory::liveStep3); // not finished: still running
}

} // namespace fixtures
