// The whole pipeline on the verifiable arithmetic task, as `rlhf demo` runs it: task datasets,
// a tokenizer, a short pretraining on the task's text, SFT on deliberately imperfect answers, a
// reward model on rule-labelled pairs, then PPO (against the reward model), DPO (on the pairs)
// and GRPO (against the task's rule), each from the same SFT checkpoint; PPO runs a second time
// against the task's rule, to separate what PPO reaches from what the reward model lets it. Every
// model is then judged by the same ground-truth rule on the held-out test questions, which no stage
// trains on. Every stage document is written to runs/ so each step can be rerun with `rlhf train`.
// With a LoRA rank, the stages after SFT train adapters instead (documents *-lora.json).
#pragma once

#include "core/data/tasks/arithmetic_task.h"
#include "core/train/stage_observer.h"
#include "core/train/training_options.h"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rlhf::tools {

struct AlignmentDemoOptions {
    std::filesystem::path folder; // the project folder (created, or reused with its runs)
    double scale = 1.0;           // multiplies every stage's steps: 1 the demo, ~0.15 a CI check
    int threads = 0;              // CPU threads; 0 = all cores
    // every stage's training.precision, and the judging's: Auto is bf16 only where it is fast
    train::Precision precision = train::Precision::Auto;
    int64_t evalPrompts = 1000; // held-out test questions each model is judged on (at most)
    data::ArithmeticTaskOptions task{.maxOperand = 99}; // 10,000 questions, 958 of them test
    // LoRA: every stage after SFT trains adapters of this rank (all linear layers, alpha
    // twice the rank) on a base held as loraBase ("fp32", "nf4", "int8"); 0 = every weight.
    int64_t loraRank = 0;
    std::string loraBase = "fp32";
    // Reseeds the stages after SFT (reward model, PPO, DPO, GRPO): another seeded run from the
    // same SFT model.
    uint64_t seed = 0;
};

struct AlignmentDemoRow {
    std::string method; // "SFT", "PPO (reward model)", "PPO (task rule)", "DPO", "GRPO"
    int64_t runId = 0;
    std::filesystem::path checkpoint;
    double sampledAccuracy = 0; // share of test questions answered right, sampling at T = 1
    double greedyAccuracy = 0;  // the same, greedy
    double klToSft = 0;         // KL(model || SFT) per reply, nats (k1 on sampled replies)
    double seconds = 0;         // wall time of the stage
};

struct AlignmentDemoResult {
    std::vector<AlignmentDemoRow> rows;
    double rewardModelAccuracy = 0; // on the test split's pairs
    int64_t rewardModelPairs = 0;
    // From its report (reward_report.json): accuracy on right/wrong pairs of the SFT model's own
    // replies to test questions and their count, calibration error, score-length correlation.
    double rewardModelOnPolicyAccuracy = 0;
    int64_t rewardModelOnPolicyPairs = 0;
    double rewardModelCalibrationError = 0;
    double rewardModelLengthCorrelation = 0;
    int64_t testPrompts = 0;
    double totalSeconds = 0;
    std::string trained = "every weight"; // or "LoRA rank 16 on all linear layers, ..."

    nlohmann::json toJson() const;
    // The text table `rlhf demo` prints: each method's gain over SFT, and a line for every
    // method that did not beat SFT (sampled), so a failed method is never passed over.
    std::string table() const;
};

AlignmentDemoResult runAlignmentDemo(const AlignmentDemoOptions& options,
                                     train::StageObserver& observer, const train::StopToken& stop);

} // namespace rlhf::tools
