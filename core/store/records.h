// The rows the project database stores and returns: plain structs, no SQL, no behaviour beyond
// converting the enums to and from the words stored in the database ("pretrain", "running").
// Times are seconds since the Unix epoch (UTC), as TensorBoard and W&B record them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::store {

using Id = int64_t; // a row id; ids start at 1

// Seconds since the Unix epoch, now: the default time stamp of every record.
double unixSecondsNow();

enum class DatasetKind {
    Text,       // plain documents for pretraining and tokenizer training
    Chat,       // conversations for supervised fine-tuning
    Preference, // prompt with chosen and rejected responses, for reward models and DPO
};

// The training stage of a run, and of a stage document's "stage" field: one enum for the database
// and the documents (core/train reads and dispatches on it).
enum class RunStage { Pretrain, Sft, Reward, Ppo, Dpo, Grpo };

enum class RunStatus {
    Running,   // set by createRun
    Paused,    // waiting for the user; resumable in this process
    Completed, // finished all its steps
    Stopped,   // stopped by the user; resumable from its latest checkpoint
    Failed,    // ended by an error
    // Its process ended without saying how (killed, power loss): found so when the project
    // was next opened (store/run_recovery.h); resumable from its latest checkpoint.
    Interrupted,
};

// True for the statuses finishRun accepts: Completed, Stopped, Failed, Interrupted.
bool isFinal(RunStatus status);

// The stored words ("text", "pretrain", "running"), and back; parse* throw rlhf::Error on an
// unknown word.
std::string_view datasetKindName(DatasetKind kind);
std::string_view runStageName(RunStage stage);
std::string_view runStatusName(RunStatus status);
DatasetKind parseDatasetKind(std::string_view word);
RunStage parseRunStage(std::string_view word);
RunStatus parseRunStatus(std::string_view word);
// The stage written as `word`, if any; and every stage word, for messages:
// "pretrain, sft, reward, dpo, ppo or grpo".
std::optional<RunStage> findRunStage(std::string_view word);
std::string runStageList();

// An import still writing into a dataset, or cut off before it could finish or undo itself.
struct ImportUnderWay {
    Id dataset = 0;
    std::string owner;        // the importing process (store/process_tag.h)
    int64_t firstOrdinal = 0; // its first document's ordinal
    Id lastRejected = 0;      // the dataset's last quarantined row before it
    bool createdDataset = false;
};

struct Dataset {
    Id id = 0;
    std::string name; // unique in the project, e.g. "tinyshakespeare"
    DatasetKind kind = DatasetKind::Text;
    std::string sourcePath; // where it was imported from, e.g. "/data/shakespeare.txt"
    double created = 0;
    std::string reportJson = "{}"; // the last import's report (data::ImportReport::toJson)
};

struct Document {
    int64_t ordinal = 0;         // position in its dataset, 0-based; assigned by addDocuments
    std::string text;            // UTF-8
    std::string sourceFile;      // file it came from
    int64_t sourceLine = 0;      // 1-based line of its first character in that file
    std::string split = "train"; // "train", "val" or "test"
};

// A row that an import could not use or that cleaning removed, kept with the reason so the
// user can fix the source or restore it.
struct RejectedRow {
    Id id = 0;                 // assigned by addRejected
    std::string step = "read"; // what turned it away: "read" (the reader) or a cleaning step
    std::string sourceFile;
    int64_t sourceLine = 0; // 1-based
    std::string field;      // the offending field, e.g. "text"; empty when the whole row is bad
    std::string reason;     // e.g. "invalid JSON: unexpected end of input"
    std::string raw;        // the row's bytes as found (possibly not UTF-8), possibly truncated
    std::optional<int64_t> duplicateOf;  // ordinal of the document it duplicates
    std::optional<std::string> document; // its document form when it was readable: restorable
    std::string split = "train";         // where a restored document goes
    std::optional<int64_t> restoredAs;   // the ordinal it got when restored
};

// What searchRejected matches: every non-empty criterion must hold.
struct RejectedFilter {
    std::string text; // substring of the reason, field, source file or row (case-insensitive)
    std::string step; // exact step name, e.g. "exact_dedup"
    bool includeRestored = true;
};

struct Run {
    Id id = 0;
    RunStage stage = RunStage::Pretrain;
    std::string name;       // shown in the run list, e.g. "gpt2-small lr 3e-4"
    std::string configJson; // the stage config document the run was started with
    RunStatus status = RunStatus::Running;
    double started = 0;
    std::optional<double> ended; // set by finishRun
    std::optional<Id> parent;    // the run whose checkpoint this one started from
    std::string owner; // the process that trains it (store/process_tag.h); empty before v7
};

struct MetricPoint {
    int64_t step = 0;
    std::string name; // e.g. "train/loss"
    double value = 0;
    double wallTime = unixSecondsNow(); // when it was measured
};

struct MetricSample {
    int64_t step = 0;
    double value = 0;
    double wallTime = 0; // when it was measured, seconds since the Unix epoch
};

struct Checkpoint {
    Id id = 0;
    Id run = 0;
    int64_t step = 0;
    std::string path;               // relative to the project folder, e.g. "checkpoints/3/step-400"
    std::string metricsJson = "{}"; // metrics at save time, e.g. {"val/loss": 2.31}
    double created = 0;
};

// One sampled response of a PPO / GRPO step, kept so the user can read what the policy wrote
// when a reward or KL curve does something odd.
struct Rollout {
    int64_t step = 0;  // the optimizer step whose batch it was, 1-based
    int64_t index = 0; // position in that step's batch, 0-based
    std::string prompt;
    std::string response;
    double score = 0;                // reward model and/or rule score of the whole response
    double reward = 0;               // score minus the KL penalty summed over the response
    double kl = 0;                   // KL(policy || reference) summed over the response's tokens
    std::optional<double> trueScore; // the task's ground-truth rule, where the data has one
    std::vector<double> tokenKl;     // per response token
};

struct Tokenizer {
    Id id = 0;
    std::string name;      // unique in the project, e.g. "bpe-8k"
    std::string path;      // relative to the project folder, e.g. "tokenizers/bpe-8k.json"
    int64_t vocabSize = 0; // e.g. 8192
    double created = 0;
};

// A Hugging Face model folder added to the project as a starting point (see schema version 6).
struct BaseModel {
    Id id = 0;
    std::string name;   // unique in the project, e.g. "Qwen2.5-0.5B"
    std::string path;   // the folder: absolute outside the project, else project-relative
    std::string family; // "llama", "qwen2", ...
    int64_t parameters = 0;
    double created = 0;
};

} // namespace rlhf::store
