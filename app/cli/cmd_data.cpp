// `rlhf init`, `rlhf tokenizer train` and `rlhf tokenize`: from a project's datasets to the
// token splits a stage document names. Importing is cmd_import.cpp.
#include "app/cli/commands.h"

#include "core/data/token_splits.h"
#include "core/store/project.h"
#include "core/util/error.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace rlhf::cli {

namespace {

store::Id requireDataset(store::Project& project, const std::string& name)
{
    const auto dataset = project.database().datasetByName(name);
    if (!dataset)
        throw Error("no dataset named '" + name + "' in " + project.paths().root().string());
    return dataset->id;
}

} // namespace

void addDataCommands(CLI::App& app)
{
    auto root = std::make_shared<std::string>();
    auto* init = app.add_subcommand("init", "Create a project folder");
    init->add_option("folder", *root, "New project folder")->required();
    init->callback([=] {
        store::Project::create(*root);
        std::cout << "created project " << *root << std::endl;
    });

    struct TokenizerArguments {
        std::string project = ".", dataset, name = "bpe", pattern = "llama3";
        uint32_t vocab = 8192;
        uint64_t minFrequency = 2;
    };
    auto tokenizerArguments = std::make_shared<TokenizerArguments>();
    auto* tokenizer = app.add_subcommand("tokenizer", "Byte-level BPE tokenizers");
    tokenizer->require_subcommand(1);
    auto* trainTokenizer = tokenizer->add_subcommand("train", "Train a tokenizer on a dataset");
    trainTokenizer->add_option("-p,--project", tokenizerArguments->project, "Project folder")
        ->capture_default_str();
    trainTokenizer->add_option("-d,--dataset", tokenizerArguments->dataset, "Dataset to learn from")
        ->required();
    trainTokenizer->add_option("-n,--name", tokenizerArguments->name, "Tokenizer name")
        ->capture_default_str();
    trainTokenizer->add_option("--vocab", tokenizerArguments->vocab, "Vocabulary size")
        ->capture_default_str();
    trainTokenizer->add_option("--pattern", tokenizerArguments->pattern, "gpt2 or llama3")
        ->check(CLI::IsMember({"gpt2", "llama3"}))
        ->capture_default_str();
    trainTokenizer
        ->add_option("--min-frequency", tokenizerArguments->minFrequency, "Rarest pair to merge")
        ->capture_default_str();
    trainTokenizer->callback([=] {
        store::Project project = store::Project::open(tokenizerArguments->project);
        text::TrainConfig config;
        config.vocabSize = tokenizerArguments->vocab;
        config.pattern = tokenizerArguments->pattern == "gpt2" ? text::PatternFlavour::Gpt2
                                                               : text::PatternFlavour::Llama3;
        config.minFrequency = tokenizerArguments->minFrequency;
        const auto path = data::trainProjectTokenizer(
            project, requireDataset(project, tokenizerArguments->dataset), tokenizerArguments->name,
            config);
        std::cout << "tokenizer '" << tokenizerArguments->name << "' saved to " << path;
        // A small corpus runs out of pairs to merge before the vocabulary is full: say so.
        const auto learned = project.database().tokenizer(tokenizerArguments->name);
        if (learned && learned->vocabSize < config.vocabSize)
            std::cout << " (learned " << learned->vocabSize << " of the " << config.vocabSize
                      << " tokens asked for: the corpus has no more pairs to merge)";
        std::cout << std::endl;
    });

    struct TokenizeArguments {
        std::string project = ".", dataset, tokenizer = "bpe";
        double valFraction = 0.05;
    };
    auto tokenizeArguments = std::make_shared<TokenizeArguments>();
    auto* tokenize = app.add_subcommand("tokenize", "Write a dataset's train/val token files");
    tokenize->add_option("-p,--project", tokenizeArguments->project, "Project folder")
        ->capture_default_str();
    tokenize->add_option("-d,--dataset", tokenizeArguments->dataset, "Dataset to tokenize")
        ->required();
    tokenize->add_option("-t,--tokenizer", tokenizeArguments->tokenizer, "Tokenizer name")
        ->capture_default_str();
    tokenize
        ->add_option("--val-fraction", tokenizeArguments->valFraction,
                     "Share held out when the dataset has no validation split")
        ->check(CLI::Range(0.0, 0.5))
        ->capture_default_str();
    tokenize->callback([=] {
        store::Project project = store::Project::open(tokenizeArguments->project);
        const auto result = data::writeTokenSplits(
            project, requireDataset(project, tokenizeArguments->dataset),
            tokenizeArguments->tokenizer, {.valFraction = tokenizeArguments->valFraction});
        std::cout << result.trainPath << ": " << result.trainTokens << " tokens ("
                  << result.trainDocuments << " documents)\n"
                  << result.valPath << ": " << result.valTokens << " tokens ("
                  << result.valDocuments << " documents)" << std::endl;
    });
} // namespace rlhf::cli

} // namespace rlhf::cli
