#include "app/tools/alignment_demo.h"

#include "core/store/project.h"
#include "core/data/demo_project.h"
#include "core/text/tokenizer_json.h"
#include "core/train/rollout.h"
#include "core/model/checkpoint.h"
#include "core/model/transformer.h"
#include "core/train/stage_runner.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace rlhf::tools {

namespace fs = std::filesystem;

namespace {

// LoRA's learning rate over full fine-tuning's, stage by stage.
constexpr double loraLrFactor = 3.0;

int64_t scaled(int64_t steps, double scale)
{
    return std::max<int64_t>(1, std::llround(steps * scale));
}

nlohmann::json training(int64_t steps, int64_t batch, uint64_t seed,
                        const AlignmentDemoOptions& options, int64_t evalEvery)
{
    return {{"steps", steps},
            {"batch_size", batch},
            {"seed", seed},
            {"threads", options.threads},
            {"precision", train::precisionName(options.precision)},
            {"log_every", std::max<int64_t>(1, steps / 10)},
            {"eval_every", std::max<int64_t>(1, evalEvery)},
            {"eval_batches", 8},
            {"checkpoint_every", 0}};
}

nlohmann::json optimizer(double lr, double minLr, int64_t warmup, double weightDecay = 0.0)
{
    return {{"lr", lr}, {"min_lr", minLr}, {"warmup_steps", warmup}, {"weight_decay", weightDecay}};
}

// Runs a stage document (written to runs/<file> first) and returns its report.
train::StageRunReport runDocument(const fs::path& folder, const std::string& file,
                                  const nlohmann::json& document, train::StageObserver& observer,
                                  const train::StopToken& stop)
{
    fs::create_directories(folder / "runs");
    writeJsonFile(folder / "runs" / file, document);
    observer.onLog("== " + file + " (rerun: rlhf train -p " + folder.string() + " " +
                   (folder / "runs" / file).string() + ")");
    train::StageRunReport report = train::runStage(folder, document, file, observer, stop);
    if (report.status != "completed")
        throw Error(file + ": the run ended " + report.status + " before its last step");
    return report;
}

std::string relative(const store::Project& project, const fs::path& path)
{
    return project.paths().relative(path);
}

double metric(const train::StageResult& result, const std::string& name)
{
    for (const auto& [key, value] : result.lastMetrics)
        if (key == name) return value;
    throw Error("the run logged no " + name);
}

} // namespace

nlohmann::json AlignmentDemoResult::toJson() const
{
    nlohmann::json methods = nlohmann::json::array();
    for (const auto& row : rows)
        methods.push_back({{"method", row.method},
                           {"run", row.runId},
                           {"checkpoint", row.checkpoint.string()},
                           {"test_accuracy_sampled", row.sampledAccuracy},
                           {"test_accuracy_greedy", row.greedyAccuracy},
                           {"kl_to_sft", row.klToSft},
                           {"seconds", row.seconds}});
    return {{"methods", methods},
            {"reward_model_test_accuracy", rewardModelAccuracy},
            {"reward_model_on_policy_accuracy", rewardModelOnPolicyAccuracy},
            {"reward_model_on_policy_pairs", rewardModelOnPolicyPairs},
            {"reward_model_calibration_error", rewardModelCalibrationError},
            {"reward_model_length_correlation", rewardModelLengthCorrelation},
            {"reward_model_test_pairs", rewardModelPairs},
            {"test_prompts", testPrompts},
            {"total_seconds", totalSeconds},
            {"trained", trained}};
}

std::string AlignmentDemoResult::table() const
{
    std::string text = "the stages after pretraining train " + trained + "\n" +
                       "method              test accuracy (sampled, T=1)  vs SFT  (greedy)  KL to "
                       "SFT  minutes\n";
    char line[200];
    const double sft = rows.empty() ? 0 : rows.front().sampledAccuracy;
    std::string failures;
    for (const auto& row : rows) {
        std::snprintf(line, sizeof(line), "%-18s  %28.3f  %+6.3f  %8.3f  %9.3f  %7.1f\n",
                      row.method.c_str(), row.sampledAccuracy, row.sampledAccuracy - sft,
                      row.greedyAccuracy, row.klToSft, row.seconds / 60.0);
        text += line;
        if (&row != &rows.front() && row.sampledAccuracy <= sft) {
            std::snprintf(line, sizeof(line),
                          "FAILED: %s did not beat SFT (%.3f against %.3f sampled)\n",
                          row.method.c_str(), row.sampledAccuracy, sft);
            failures += line;
        }
    }
    std::snprintf(line, sizeof(line), "reward model accuracy on %lld held-out pairs: %.3f\n",
                  (long long)rewardModelPairs, rewardModelAccuracy);
    text += failures + line;
    std::snprintf(line, sizeof(line),
                  "reward model accuracy on %lld right/wrong pairs of the SFT model's own "
                  "replies: %.3f; calibration error %.3f; score-length correlation %+.3f\n",
                  (long long)rewardModelOnPolicyPairs, rewardModelOnPolicyAccuracy,
                  rewardModelCalibrationError, rewardModelLengthCorrelation);
    text += line;
    std::snprintf(line, sizeof(line), "%lld test questions; whole pipeline %.1f minutes\n",
                  (long long)testPrompts, totalSeconds / 60.0);
    return text + line;
}

AlignmentDemoResult runAlignmentDemo(const AlignmentDemoOptions& options,
                                     train::StageObserver& observer, const train::StopToken& stop)
{
    const auto started = std::chrono::steady_clock::now();
    const fs::path folder = options.folder;
    const data::DemoProject demo = data::prepareDemoProject(
        folder, options.task, [&observer](const std::string& line) { observer.onLog(line); });
    store::Project project = store::Project::open(folder);
    const auto tokenizer = *project.database().tokenizer(demo.tokenizer);
    const data::TokenSplitResult& splits = demo.splits;
    const double scale = options.scale;
    // --seed reseeds the stages after SFT only: every seed aligns the same SFT model, so the
    // rows' spread is the alignment stages' own (pretraining and SFT on this budget vary more).
    const uint64_t alignmentSeed = 100 * options.seed;
    AlignmentDemoResult result;

    // Pretraining on the task's own text (questions and noisy answers, no chat template).
    nlohmann::json pretrain = {
        {"stage", "pretrain"},
        {"name", "arith-pretrain"},
        {"tokenizer", tokenizer.path},
        {"data", {{"train", splits.trainPath}, {"val", splits.valPath}}},
        {"model",
         {{"flavour", "gpt2"},
          {"vocab_size", tokenizer.vocabSize},
          {"context_length", 32},
          {"layers", 3},
          {"heads", 4},
          {"dim", 128}}},
        {"optimizer", optimizer(3e-3, 3e-4, 30, 0.1)},
        {"training", training(scaled(400, scale), 32, 1, options, scaled(400, scale))}};
    const auto pretrained = runDocument(folder, "arith-pretrain.json", pretrain, observer, stop);

    // With LoRA every stage after SFT trains adapters: all linear layers, no dropout (the RL
    // stages refuse it), and a learning rate loraLrFactor times the full fine-tuning one, as
    // adapters start at zero and move a small subspace. SFT itself trains every weight: the
    // chat tokens first appear there, and LoRA leaves the embeddings as pretraining left them.
    const bool lora = options.loraRank > 0;
    const std::string suffix = lora ? "-lora" : "";
    if (lora)
        result.trained = "LoRA rank " + std::to_string(options.loraRank) +
                         " on all linear layers, " + options.loraBase + " base (SFT: every weight)";
    auto fineTune = [&](const std::string& stage, const std::string& name, const fs::path& init,
                        const std::string& dataset, const std::string& val) {
        nlohmann::json document{{"stage", stage},
                                {"name", name},
                                {"init", relative(project, init)},
                                {"data", {{"dataset", dataset}, {"train", "train"}, {"val", val}}}};
        if (lora && stage != "sft") {
            document["name"] = name + suffix;
            document["lora"] = {{"rank", options.loraRank},
                                {"alpha", 2 * options.loraRank},
                                {"dropout", 0.0},
                                {"target_modules", "all-linear"},
                                {"base", options.loraBase}};
        }
        return document;
    };
    auto fineTuneOptimizer = [&](double lr, double minLr, int64_t warmup, double weightDecay,
                                 double factor = loraLrFactor) {
        if (!lora) factor = 1.0;
        return optimizer(lr * factor, minLr * factor, warmup, weightDecay);
    };
    auto file = [&](const std::string& name) { return name + suffix + ".json"; };

    nlohmann::json sft =
        fineTune("sft", "arith-sft", pretrained.result.lastCheckpoint, "arith-sft", "val");
    sft["optimizer"] = optimizer(2e-3, 2e-4, 30, 0.1);
    sft["training"] = training(scaled(3000, scale), 64, 2, options, scaled(1000, scale));
    const auto sftStart = std::chrono::steady_clock::now();
    const auto sftRun = runDocument(folder, "arith-sft.json", sft, observer, stop);
    const double sftSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sftStart).count();
    const fs::path sftCheckpoint = sftRun.result.lastCheckpoint;

    nlohmann::json reward =
        fineTune("reward", "arith-reward", sftCheckpoint, "arith-pairs", "test");
    reward["optimizer"] = fineTuneOptimizer(3e-4, 3e-5, 20, 0.0);
    reward["training"] =
        training(scaled(1500, scale), 32, 3 + alignmentSeed, options, scaled(500, scale));
    reward["training"]["eval_batches"] = 1000; // every held-out pair
    // The report checks it on the SFT model's own replies too: what PPO is scored on.
    reward["on_policy"] = {{"dataset", "arith-prompts"},
                           {"split", "test"},
                           {"prompts", 300},
                           {"samples", 4},
                           {"max_new_tokens", 6}};
    const auto rewardRun = runDocument(folder, file("arith-reward"), reward, observer, stop);
    result.rewardModelAccuracy = metric(rewardRun.result, "val/accuracy");
    const auto report = readJsonFile(rewardRun.result.lastCheckpoint / "reward_report.json");
    result.rewardModelOnPolicyAccuracy = report["on_policy"].value("accuracy", 0.0);
    result.rewardModelOnPolicyPairs = report["on_policy"].value("pairs", int64_t(0));
    result.rewardModelCalibrationError = report.value("calibration_error", 0.0);
    result.rewardModelLengthCorrelation = report.value("length_correlation", 0.0);
    result.rewardModelPairs = project.database().documentCount(
        project.database().datasetByName("arith-pairs")->id, "test");

    // The three ways on from SFT, each from the same checkpoint.
    // PPO twice: against the reward model (RLHF proper), and against the task's rule, which
    // shows what PPO itself reaches when the reward is right.
    nlohmann::json ppo = fineTune("ppo", "arith-ppo", sftCheckpoint, "arith-prompts", "test");
    ppo["reward"] = {{"model", relative(project, rewardRun.result.lastCheckpoint)}};
    ppo["rollout"] = {{"max_new_tokens", 6}};
    ppo["kl"] = {{"estimator", "k1"}, {"coef", 0.05}};
    ppo["policy"] = {{"epochs", 4}, {"minibatch_size", 32}};
    ppo["value"] = {{"init", "reward_model"}};
    ppo["eval"] = {{"prompts", 300}};
    ppo["optimizer"] = fineTuneOptimizer(1e-4, 1e-4, 0, 0.0);
    ppo["training"] =
        training(scaled(120, scale), 64, 4 + alignmentSeed, options, scaled(40, scale));
    nlohmann::json ppoRule = ppo;
    ppoRule["name"] = "arith-ppo-rule" + suffix;
    ppoRule["reward"] = {{"rules", {{{"rule", "exact_answer"}, {"weight", 1.0}}}}};
    ppoRule["value"] = {{"init", "policy"}};

    nlohmann::json dpo = fineTune("dpo", "arith-dpo", sftCheckpoint, "arith-pairs", "test");
    dpo["dpo"] = {{"beta", 0.5}, {"loss", "dpo"}};
    // DPO's LoRA keeps the full rate: at 3x its KL to SFT reached 6.3 and accuracy fell to 0.52.
    dpo["optimizer"] = fineTuneOptimizer(1e-4, 1e-4, 0, 0.0, 1.0);
    dpo["training"] =
        training(scaled(300, scale), 32, 5 + alignmentSeed, options, scaled(150, scale));

    nlohmann::json grpo = fineTune("grpo", "arith-grpo", sftCheckpoint, "arith-prompts", "test");
    grpo["reward"] = {{"rules", {{{"rule", "exact_answer"}, {"weight", 1.0}}}}};
    grpo["rollout"] = {{"max_new_tokens", 6}, {"group_size", 8}};
    grpo["kl"] = {{"estimator", "k3"}, {"coef", 0.02}};
    grpo["policy"] = {{"epochs", 2}};
    grpo["eval"] = {{"prompts", 300}};
    grpo["optimizer"] = fineTuneOptimizer(3e-4, 3e-4, 0, 0.0);
    grpo["training"] =
        training(scaled(100, scale), 16, 6 + alignmentSeed, options, scaled(50, scale));

    // Every model judged alike: the test questions, the task rule, KL to the SFT model.
    const auto setup = train::resolveCompute({}, options.precision, options.threads);
    const text::Tokenizer text = text::loadTokenizerJson(project.paths().absolute(tokenizer.path));
    const chat::ChatEncoder encoder(text, chat::ChatTemplate{});
    const auto prompts =
        train::loadStagePrompts(project.database(), "arith-prompts", "test", "demo");
    train::RlConfig judging;
    judging.rollout.maxNewTokens = 6;
    model::Transformer reference = model::loadTransformer(sftCheckpoint);
    reference->to(setup.device);
    auto judge = [&](const std::string& method, const train::StageRunReport& report,
                     double seconds) {
        model::Transformer model = model::loadTransformer(report.result.lastCheckpoint);
        model->to(setup.device);
        auto referenceLogProbs = [&](const train::RolloutBatch& batch) {
            return train::responseLogProbs(*reference, batch, judging.rollout.temperature,
                                           setup.device);
        };
        const train::Evaluation evaluation = train::evaluatePolicy(
            model, referenceLogProbs, prompts, options.evalPrompts, encoder, judging, setup);
        result.testPrompts = evaluation.prompts;
        result.rows.push_back({method, report.runId, report.result.lastCheckpoint,
                               evaluation.sampledAccuracy.value_or(0),
                               evaluation.greedyAccuracy.value_or(0),
                               evaluation.klToReference.value_or(0), seconds});
        observer.onLog(method + ": test accuracy " +
                       std::to_string(result.rows.back().sampledAccuracy) + " sampled, " +
                       std::to_string(result.rows.back().greedyAccuracy) + " greedy, KL to SFT " +
                       std::to_string(result.rows.back().klToSft));
    };
    auto timed = [&](const std::string& file, const nlohmann::json& document) {
        const auto start = std::chrono::steady_clock::now();
        auto report = runDocument(folder, file, document, observer, stop);
        return std::make_pair(
            report,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    };
    judge("SFT", sftRun, sftSeconds);
    for (const auto& [method, file, document] :
         {std::tuple{"PPO (reward model)", file("arith-ppo"), ppo},
          std::tuple{"PPO (task rule)", file("arith-ppo-rule"), ppoRule},
          std::tuple{"DPO", file("arith-dpo"), dpo},
          std::tuple{"GRPO", file("arith-grpo"), grpo}}) {
        const auto [report, seconds] = timed(file, document);
        judge(method, report, seconds);
    }
    result.totalSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

} // namespace rlhf::tools
