#include "app/tools/ppo_bench.h"

#include "core/data/record.h"
#include "core/model/checkpoint.h"
#include "core/model/transformer.h"
#include "core/store/project.h"
#include "core/text/bpe_trainer.h"
#include "core/text/tokenizer_json.h"
#include "core/chat/chat_template.h"
#include "core/train/stage_runner.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>

namespace rlhf::tools {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDataset = "bench-prompts";
constexpr const char* kTokenizer = "bench-bpe";

// A pronounceable pseudo-word drawn with `state` (a 64-bit LCG, advanced): 1-3 syllables.
std::string randomWord(uint64_t& state)
{
    static constexpr std::string_view consonants = "bcdfghklmnprstvz", vowels = "aeiou";
    auto next = [&](uint64_t range) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return (state >> 33) % range;
    };
    std::string word;
    for (uint64_t syllable = 0, count = 1 + next(3); syllable < count; ++syllable) {
        word += consonants[next(consonants.size())];
        word += vowels[next(vowels.size())];
    }
    return word;
}

// A BPE tokenizer of about `vocab` ids, trained on lines of generated words: quick, and with
// merges, so the model's vocabulary is a realistic few thousand rather than 256 bytes.
text::Tokenizer trainBenchTokenizer(int64_t vocab)
{
    text::TrainConfig config;
    config.vocabSize = uint32_t(vocab);
    text::BpeTrainer trainer(config);
    uint64_t state = 12345;
    for (int line = 0; line < 4000; ++line) {
        std::string text;
        for (int word = 0; word < 12; ++word)
            text += (word ? " " : "") + randomWord(state);
        trainer.addText(text);
    }
    return trainer.train();
}

// A user message whose encoded prompt is exactly `tokens` long: generated words while they fit,
// then '#' characters, which never occur in the tokenizer's training text and so stay one
// byte-level token each.
std::string promptOfLength(const chat::ChatEncoder& encoder, int64_t tokens, uint64_t seed)
{
    auto length = [&](const std::string& text) {
        return int64_t(encoder.encodePrompt({{"user", text}}).size());
    };
    uint64_t state = seed;
    std::string text;
    for (;;) {
        const std::string longer = text + (text.empty() ? "" : " ") + randomWord(state);
        if (length(longer) > tokens) break;
        text = longer;
    }
    text += std::string(size_t(std::max<int64_t>(0, tokens - length(text))), '#');
    if (length(text) != tokens)
        throw Error("bench ppo: cannot build a prompt of exactly " + std::to_string(tokens) +
                    " tokens (got " + std::to_string(length(text)) + ")");
    return text;
}

// Writes the prompt dataset and prompts.json (the encoded prompts, for the Python twin).
void writePrompts(store::Project& project, const text::Tokenizer& tokenizer,
                  const PpoBenchOptions& options, const fs::path& promptsFile)
{
    const chat::ChatEncoder encoder(tokenizer, chat::ChatTemplate{});
    std::vector<store::Document> documents;
    nlohmann::json encoded = nlohmann::json::array();
    for (int64_t i = 0; i < options.promptCount; ++i) {
        data::Record record;
        record.kind = data::RecordKind::Chat;
        record.messages = {{"user", promptOfLength(encoder, options.promptTokens, 1000 + i)},
                           {"assistant", "ok"}};
        encoded.push_back(encoder.encodePrompt({record.messages.front()}));
        store::Document document;
        document.text = data::toDocumentText(record);
        documents.push_back(std::move(document));
    }
    auto& database = project.database();
    database.addDocuments(database.addDataset(kDataset, store::DatasetKind::Chat, "bench"),
                          documents);
    std::ofstream(promptsFile)
        << nlohmann::json{{"prompts", encoded}, {"end_token", encoder.endTokenId()}}.dump() << '\n';
}

nlohmann::json stageDocument(const PpoBenchOptions& options, const std::string& checkpoint)
{
    return {
        {"stage", "ppo"},
        {"name", "bench-ppo"},
        {"init", checkpoint},
        {"data", {{"dataset", kDataset}, {"val", ""}}},
        {"reward", {{"model", checkpoint}}},
        // A random model at temperature 1 rarely draws the end token: replies run to the limit.
        {"rollout", {{"max_new_tokens", options.maxNewTokens}, {"temperature", 1.0}}},
        {"kl", {{"estimator", "k1"}, {"coef", 0.05}}},
        {"policy", {{"epochs", options.epochs}, {"minibatch_size", options.minibatchSize}}},
        {"value", {{"init", "reward_model"}}},
        {"eval", {{"prompts", 0}}},
        {"optimizer", {{"lr", 1e-5}, {"min_lr", 1e-5}, {"warmup_steps", 0}}},
        {"training",
         {{"steps", options.warmup + options.iterations},
          {"batch_size", options.batchSize},
          {"precision", options.precision},
          {"threads", options.threads},
          {"device", options.device},
          {"log_every", 1},
          {"eval_every", 0},
          {"checkpoint_every", 0}}},
    };
}

// Keeps the timing metrics of every iteration and the device line.
class TimingObserver final : public train::StageObserver {
public:
    void onMetrics(const train::StepMetrics& metrics) override
    {
        auto& values = m_steps[metrics.step];
        for (const auto& [name, value] : metrics.values)
            values[name] = value;
    }
    void onLog(const std::string& line) override
    {
        if (line.rfind("device ", 0) == 0) setup = line.substr(7);
    }

    // The value of `name` at `step`; throws when the stage did not log it.
    double at(int64_t step, const std::string& name) const
    {
        const auto found = m_steps.find(step);
        if (found == m_steps.end() || !found->second.count(name))
            throw Error("bench ppo: step " + std::to_string(step) + " logged no " + name);
        return found->second.at(name);
    }

    std::string setup;

private:
    std::map<int64_t, std::map<std::string, double>> m_steps;
};

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

void checkOptions(const PpoBenchOptions& options)
{
    if (options.iterations < 1) throw Error("bench ppo: --iterations must be at least 1");
    if (options.warmup < 0) throw Error("bench ppo: --warmup must not be negative");
    if (options.promptCount < options.batchSize)
        throw Error("bench ppo: --prompts must be at least --batch");
    if (options.promptTokens < 8) throw Error("bench ppo: --prompt-tokens must be at least 8");
    if (options.promptTokens + options.maxNewTokens > options.contextLength)
        throw Error("bench ppo: --prompt-tokens + --new-tokens exceed --ctx");
    if (fs::exists(options.folder))
        throw Error("bench ppo: " + options.folder.string() + " already exists");
}

} // namespace

PpoBenchResult benchPpo(const PpoBenchOptions& options)
{
    checkOptions(options);
    store::Project project = store::Project::create(options.folder);
    const auto& paths = project.paths();

    const text::Tokenizer tokenizer = trainBenchTokenizer(options.tokenizerVocab);
    const fs::path tokenizerFile = paths.tokenizers() / "bench-bpe.json";
    text::saveTokenizerJson(tokenizer, tokenizerFile);
    project.database().addTokenizer(kTokenizer, paths.relative(tokenizerFile),
                                    tokenizer.vocabSize());

    PpoBenchResult result;
    model::ModelConfig config;
    config.vocabSize = (int64_t(tokenizer.vocabSize()) + 63) / 64 * 64;
    config.contextLength = options.contextLength;
    config.layers = options.layers;
    config.heads = options.heads;
    config.dim = options.dim;
    model::Transformer model(config);
    result.checkpoint = paths.checkpoints() / "init";
    model::CheckpointContents contents;
    contents.tokenizer = tokenizerFile;
    model::saveCheckpoint(result.checkpoint, *model, contents);
    result.modelVocab = config.vocabSize;
    result.parameters = model->parameterCount();

    result.promptsFile = options.folder / "prompts.json";
    writePrompts(project, tokenizer, options, result.promptsFile);

    TimingObserver observer;
    train::StopToken stop;
    train::runStage(options.folder, stageDocument(options, paths.relative(result.checkpoint)),
                    "bench-ppo.json", observer, stop);
    result.setup = observer.setup;

    std::vector<double> generation, optimisation, total;
    for (int64_t step = options.warmup + 1; step <= options.warmup + options.iterations; ++step) {
        PpoBenchIteration iteration{observer.at(step, "time/generation_s"),
                                    observer.at(step, "time/optimisation_s"),
                                    observer.at(step, "rl/response_length")};
        generation.push_back(iteration.generationSeconds);
        optimisation.push_back(iteration.optimisationSeconds);
        total.push_back(iteration.generationSeconds + iteration.optimisationSeconds);
        result.responseLength += iteration.responseLength / double(options.iterations);
        result.iterations.push_back(iteration);
    }
    result.generationSeconds = median(generation);
    result.optimisationSeconds = median(optimisation);
    result.totalSeconds = median(total);
    result.bestTotalSeconds = *std::min_element(total.begin(), total.end());
    result.generationTokensPerSecond =
        double(options.batchSize) * result.responseLength / result.generationSeconds;
    return result;
}

} // namespace rlhf::tools
