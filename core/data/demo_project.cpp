// The demo project's data, tokenizer and token splits (see demo_project.h).
#include "core/data/demo_project.h"

#include "core/store/project.h"
#include "core/text/bpe_trainer.h"

namespace rlhf::data {

namespace fs = std::filesystem;

DemoProject prepareDemoProject(const fs::path& folder, const ArithmeticTaskOptions& task,
                               const std::function<void(const std::string&)>& log)
{
    const auto say = [&log](const std::string& line) {
        if (log) log(line);
    };
    DemoProject demo{"arith-sft", "arith-pairs", "arith-prompts", "arith-bpe", {}, false};
    {
        const bool exists = fs::exists(folder / "project.sqlite");
        store::Project project =
            exists ? store::Project::open(folder) : store::Project::create(folder);
        demo.created = !exists;
        if (!project.database().datasetByName(demo.sftDataset)) {
            const auto written = writeArithmeticTask(folder, "arith", task);
            say("task: " + std::to_string(written.sftDocuments) + " SFT dialogues, " +
                std::to_string(written.pairDocuments) + " preference pairs, " +
                std::to_string(written.promptDocuments) + " prompts");
        }
    }
    store::Project project = store::Project::open(folder);
    const auto sft = *project.database().datasetByName(demo.sftDataset);
    if (!project.database().tokenizer(demo.tokenizer)) {
        text::TrainConfig config;
        config.vocabSize = kDemoVocabSize;
        trainProjectTokenizer(project, sft.id, demo.tokenizer, config);
        say("tokenizer " + demo.tokenizer + " trained on " + demo.sftDataset);
    }
    demo.splits = writeTokenSplits(project, sft.id, demo.tokenizer);
    return demo;
}

} // namespace rlhf::data
