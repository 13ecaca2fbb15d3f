// Enum <-> stored word conversions (core/util/word_table.h) and the clock used to stamp records.
#include "core/store/records.h"

#include "core/util/word_table.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>

namespace rlhf::store {

namespace {

constexpr WordTable<DatasetKind, 3> datasetKindWords{{
    {DatasetKind::Text, "text"},
    {DatasetKind::Chat, "chat"},
    {DatasetKind::Preference, "preference"},
}};

constexpr WordTable<RunStage, 6> runStageWords{{
    {RunStage::Pretrain, "pretrain"},
    {RunStage::Sft, "sft"},
    {RunStage::Reward, "reward"},
    {RunStage::Dpo, "dpo"},
    {RunStage::Ppo, "ppo"},
    {RunStage::Grpo, "grpo"},
}};

constexpr WordTable<RunStatus, 6> runStatusWords{{
    {RunStatus::Running, "running"},
    {RunStatus::Paused, "paused"},
    {RunStatus::Completed, "completed"},
    {RunStatus::Stopped, "stopped"},
    {RunStatus::Failed, "failed"},
    {RunStatus::Interrupted, "interrupted"},
}};

} // namespace

double unixSecondsNow()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

bool isFinal(RunStatus status)
{
    return status == RunStatus::Completed || status == RunStatus::Stopped ||
           status == RunStatus::Failed || status == RunStatus::Interrupted;
}

std::string_view datasetKindName(DatasetKind kind)
{
    return wordOf(datasetKindWords, kind);
}

std::string_view runStageName(RunStage stage)
{
    return wordOf(runStageWords, stage);
}

std::string_view runStatusName(RunStatus status)
{
    return wordOf(runStatusWords, status);
}

DatasetKind parseDatasetKind(std::string_view word)
{
    return parseWord(datasetKindWords, word, "dataset kind");
}

RunStage parseRunStage(std::string_view word)
{
    return parseWord(runStageWords, word, "run stage");
}

std::optional<RunStage> findRunStage(std::string_view word)
{
    return findWord(runStageWords, word);
}

std::string runStageList()
{
    return wordList(runStageWords);
}

RunStatus parseRunStatus(std::string_view word)
{
    return parseWord(runStatusWords, word, "run status");
}

} // namespace rlhf::store
