// `rlhf demo`: the whole first stage on real text in a few minutes. Builds a project from the
// King James Bible that Debian's bible-kjv package installs (read through its `bible` program,
// never copied into our repository), trains a tokenizer and a small GPT-2 on the CPU, prints
// validation perplexity as it falls, and samples from the result.
#include "app/cli/commands.h"
#include "app/cli/number_options.h"
#include "app/cli/progress.h"
#include "app/tools/alignment_demo.h"

#include "core/data/token_splits.h"
#include "core/gen/checkpoint_generator.h"
#include "core/store/project.h"
#include "core/data/importer.h"
#include "core/train/option_ranges.h"
#include "core/train/stage_runner.h"
#include "core/util/error.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

namespace rlhf::cli {

namespace fs = std::filesystem;

namespace {

struct DemoArguments {
    std::string folder = "rlhf-demo";
    bool bible = false; // the foundation demo: pretraining on the King James Bible
    int64_t steps = 300;
    int threads = 0;
    double scale = 1.0;
    std::string precision = "auto"; // every stage's training.precision
    bool json = false;
    int64_t loraRank = 0; // LoRA adapters after SFT; 0 = every weight
    std::string loraBase = "fp32";
    uint64_t seed = 0; // reseeds the stages after SFT
};

// Writes the whole Bible, one verse per line without its "Ge1:1 " reference, to `file`.
void exportBible(const fs::path& file)
{
    const char* command = "bible -f 'gen1:1-rev22:21' 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command, "r"), pclose);
    if (!pipe) throw Error("cannot run Debian's `bible` program");
    std::ofstream out(file);
    char* line = nullptr;
    size_t capacity = 0;
    int64_t verses = 0;
    for (ssize_t length; (length = getline(&line, &capacity, pipe.get())) > 0;) {
        std::string_view verse(line, size_t(length));
        const auto space = verse.find(' ');
        if (space == std::string_view::npos) continue;
        out << verse.substr(space + 1);
        ++verses;
    }
    free(line);
    if (verses < 1000)
        throw Error("the demo reads the King James Bible through Debian's `bible` program "
                    "(apt-get install bible-kjv); it produced " +
                    std::to_string(verses) + " verses");
}

nlohmann::json demoStage(const data::TokenSplitResult& splits, const std::string& tokenizer,
                         int64_t vocabSize, const DemoArguments& arguments)
{
    return {
        {"stage", "pretrain"},
        {"name", "demo-gpt2"},
        {"tokenizer", tokenizer},
        {"data", {{"train", splits.trainPath}, {"val", splits.valPath}}},
        {"model",
         {{"flavour", "gpt2"},
          {"vocab_size", vocabSize},
          {"context_length", 128},
          {"layers", 4},
          {"heads", 4},
          {"dim", 256}}},
        {"optimizer",
         {{"lr", 2e-3},
          {"min_lr", 2e-4},
          {"warmup_steps", arguments.steps / 10},
          {"weight_decay", 0.1},
          {"grad_clip", 1.0}}},
        {"training",
         {{"steps", arguments.steps},
          {"batch_size", 16},
          {"seed", 1337},
          {"threads", arguments.threads},
          {"precision", arguments.precision},
          {"log_every", 10},
          {"eval_every", std::max<int64_t>(1, arguments.steps / 10)},
          {"eval_batches", 8},
          {"checkpoint_every", 0}}},
    };
}

void runDemo(const DemoArguments& arguments)
{
    const fs::path folder = arguments.folder;
    store::Project project = fs::exists(folder / "project.sqlite") ? store::Project::open(folder)
                                                                   : store::Project::create(folder);
    auto& database = project.database();
    std::cout << "project " << fs::absolute(folder).string() << std::endl;

    auto dataset = database.datasetByName("kjv");
    if (!dataset) {
        const fs::path text = folder / "kjv.txt";
        exportBible(text);
        data::ImportRecipe recipe;
        recipe.dataset = "kjv";
        recipe.files = {text};
        recipe.read.format = data::FileFormat::Text;
        recipe.split.valFraction = 0.02;
        const data::ImportReport report = data::importDataset(project, recipe);
        fs::remove(text);
        std::cout << "imported " << report.imported << " verses of the King James Bible ("
                  << report.quarantined << " quarantined)" << std::endl;
        dataset = database.dataset(report.dataset);
    }
    if (!database.tokenizer("kjv-bpe")) {
        text::TrainConfig config;
        config.vocabSize = 4096;
        data::trainProjectTokenizer(project, dataset->id, "kjv-bpe", config);
        std::cout << "trained tokenizer kjv-bpe (4096 tokens)" << std::endl;
    }
    const auto tokenizer = *database.tokenizer("kjv-bpe");
    const auto splits = data::writeTokenSplits(project, dataset->id, "kjv-bpe");
    std::cout << "tokens: " << splits.trainTokens << " train, " << splits.valTokens << " validation"
              << std::endl;

    const auto stage = demoStage(splits, tokenizer.path, tokenizer.vocabSize, arguments);
    fs::create_directories(folder / "runs");
    std::ofstream(folder / "runs" / "demo-pretrain.json") << stage.dump(2) << '\n';
    std::cout << "stage document runs/demo-pretrain.json (rerun: rlhf train -p " << arguments.folder
              << " " << (folder / "runs" / "demo-pretrain.json").string() << ")" << std::endl;

    ProgressPrinter printer;
    train::StopToken stop;
    const auto report = train::runStage(folder, stage, "demo-pretrain.json", printer, stop);

    std::cout << "\nvalidation perplexity by step:" << std::endl;
    for (const auto& sample : database.metricSeries(report.runId, "val/perplexity"))
        std::printf("  step %5lld  perplexity %8.2f\n", static_cast<long long>(sample.step),
                    sample.value);

    gen::CheckpointGenerator generator(report.result.lastCheckpoint, gen::autoDecodePrecision());
    gen::TextRequest request;
    request.prompts = {"In the beginning", "And the LORD said unto Moses,", "Blessed are the"};
    request.sampling.maxNewTokens = 40;
    request.sampling.temperature = 0.8;
    const auto texts = generator.complete(request);
    std::cout << "\nsamples:" << std::endl;
    for (size_t i = 0; i < texts.size(); ++i)
        std::cout << "  " << request.prompts[i] << texts[i] << std::endl;
}

// The alignment pipeline on the arithmetic task (app/tools/alignment_demo.h), its table at the
// end (or, with --json, one JSON object on stdout and the progress on stderr).
void runPipelineDemo(const DemoArguments& arguments)
{
    tools::AlignmentDemoOptions options;
    options.folder = arguments.folder;
    options.scale = arguments.scale;
    options.threads = arguments.threads;
    options.precision = parsePrecision(arguments.precision);
    options.loraRank = arguments.loraRank;
    options.loraBase = arguments.loraBase;
    options.seed = arguments.seed;
    ProgressPrinter printer(arguments.json ? std::cerr : std::cout);
    train::StopToken stop;
    const auto result = tools::runAlignmentDemo(options, printer, stop);
    if (arguments.json)
        std::cout << result.toJson().dump(2) << std::endl;
    else
        std::cout << "\n" << result.table();
}

} // namespace

void addDemoCommand(CLI::App& app)
{
    auto arguments = std::make_shared<DemoArguments>();
    auto* demo = app.add_subcommand(
        "demo", "The whole pipeline on a verifiable task: SFT, reward model, PPO, DPO, GRPO");
    demo->add_option("--dir", arguments->folder, "Project folder (reused when present)")
        ->capture_default_str();
    demo->add_option("--threads", arguments->threads, "CPU threads (0 = all cores)")
        ->capture_default_str()
        ->check(inRange(train::ranges::threads));
    demo->add_option("--scale", arguments->scale,
                     "Multiplies every stage's steps (1 = the full demo)")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 10.0));
    addPrecisionOption(*demo, arguments->precision, "auto, fp32 or bf16, for every stage")
        ->capture_default_str();
    demo->add_flag("--json", arguments->json, "Print the result table as one JSON object");
    demo->add_option("--seed", arguments->seed,
                     "Reseeds the stages after SFT: another seeded run from the same SFT model")
        ->capture_default_str();
    demo->add_option("--lora", arguments->loraRank,
                     "Every stage after SFT trains LoRA adapters of this rank")
        ->check(CLI::Range(1, 1024));
    demo->add_option("--lora-base", arguments->loraBase,
                     "The frozen base as fp32, bf16, nf4 or int8")
        ->check(CLI::IsMember({"fp32", "bf16", "nf4", "int8"}))
        ->capture_default_str();
    demo->add_flag("--bible", arguments->bible,
                   "Instead: pretrain a small GPT-2 on the King James Bible");
    demo->add_option("--steps", arguments->steps, "--bible: optimizer steps")
        ->capture_default_str()
        ->check(inRange(train::ranges::steps));
    demo->callback([=] {
        if (arguments->bible)
            runDemo(*arguments);
        else
            runPipelineDemo(*arguments);
    });
}

} // namespace rlhf::cli
