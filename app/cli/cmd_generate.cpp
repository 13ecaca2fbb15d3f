// `rlhf generate`: completions from a checkpoint folder, streamed to the terminal. The compute
// setup it decodes with (--precision) goes to standard error, so it is never silent.
#include "app/cli/commands.h"

#include "core/gen/checkpoint_generator.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace rlhf::cli {

void addGenerateCommand(CLI::App& app)
{
    struct Arguments {
        std::string checkpoint;
        std::vector<std::string> prompts;
        gen::TextRequest request;
        std::string precision = "auto";
        std::string device = "auto";
    };
    auto arguments = std::make_shared<Arguments>();
    auto& sampling = arguments->request.sampling;
    auto* command = app.add_subcommand("generate", "Complete prompts with a checkpoint");
    command->add_option("-c,--checkpoint", arguments->checkpoint, "Checkpoint folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    command->add_option("prompts", arguments->prompts, "Prompt texts (one completion each)")
        ->required();
    command->add_option("--max-new-tokens", sampling.maxNewTokens, "Tokens to generate at most")
        ->capture_default_str();
    command->add_option("--temperature", sampling.temperature, "0 = greedy")->capture_default_str();
    command->add_option("--top-k", sampling.topK, "Keep the k likeliest tokens (0 = off)")
        ->capture_default_str();
    command->add_option("--top-p", sampling.topP, "Nucleus probability (1 = off)")
        ->capture_default_str();
    command->add_option("--repetition-penalty", sampling.repetitionPenalty, "1 = off")
        ->capture_default_str();
    command->add_option("--seed", sampling.seed, "Sampling seed")->capture_default_str();
    command->add_option("--stop", arguments->request.stopStrings, "Stop at this text (repeatable)");
    command->add_option("--beams", sampling.beams, "Beam search with this many beams")
        ->capture_default_str();
    command->add_option("--length-penalty", sampling.lengthPenalty, "Beam length penalty")
        ->capture_default_str();
    command->add_option("--precision", arguments->precision, precisionHelp)->capture_default_str();
    command->add_option("--device", arguments->device, deviceHelp)->capture_default_str();
    command->callback([=] {
        gen::checkSampling(arguments->request.sampling); // before the model loads
        const gen::DecodeSetup setup = decodeSetup(arguments->device, arguments->precision);
        gen::CheckpointGenerator generator(arguments->checkpoint, setup);
        std::cerr << "decoding on " << gen::decodingDescription(setup) << std::endl;
        arguments->request.prompts = arguments->prompts;
        const bool stream =
            arguments->prompts.size() == 1 && arguments->request.sampling.beams == 1;
        if (stream) std::cout << arguments->prompts.front() << std::flush;
        const auto texts =
            generator.complete(arguments->request, [&](int64_t, const std::string& piece) {
                if (stream) std::cout << piece << std::flush;
            });
        if (stream) {
            std::cout << std::endl;
            return;
        }
        for (size_t i = 0; i < texts.size(); ++i)
            std::cout << "[" << i << "] " << arguments->prompts[i] << texts[i] << std::endl;
    });
}

} // namespace rlhf::cli
