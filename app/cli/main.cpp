// `rlhf`: the command-line twin of every studio action, reading the same config files.
// Thin: parses arguments and calls the core. Errors are printed as one line, exit code 1.
#include "app/cli/commands.h"

#include "core/util/error.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace rlhf::cli {

train::Precision parsePrecision(const std::string& name)
{
    if (name == "auto") return train::Precision::Auto;
    if (name == "fp32") return train::Precision::Float32;
    if (name == "bf16") return train::Precision::BFloat16;
    throw Error("--precision: expected auto, fp32 or bf16, got \"" + name + "\"");
}

gen::DecodePrecision decodePrecision(const std::string& name)
{
    switch (parsePrecision(name)) {
    case train::Precision::Float32:
        return gen::DecodePrecision::Float32;
    case train::Precision::BFloat16:
        return gen::DecodePrecision::BFloat16;
    case train::Precision::Auto:
        break;
    }
    return gen::autoDecodePrecision();
}

} // namespace rlhf::cli

int main(int argc, char** argv)
{
    CLI::App app{"RLHF Studio command line: projects, data, tokenizers, training, generation"};
    app.set_version_flag("--version", std::string("rlhf ") + RLHF_VERSION);
    app.require_subcommand(1);
    rlhf::cli::addDemoCommand(app);
    rlhf::cli::addDataCommands(app);
    rlhf::cli::addImportCommands(app);
    rlhf::cli::addTaskCommands(app);
    auto* labels = rlhf::cli::addLabelCommands(app);
    rlhf::cli::addLabelAgreement(*labels);
    rlhf::cli::addLabelSample(*labels);
    rlhf::cli::addTrainCommand(app);
    rlhf::cli::addGenerateCommand(app);
    rlhf::cli::addChatCommand(app);
    rlhf::cli::addBenchCommands(app);
    rlhf::cli::addArenaCommands(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error);
    } catch (const std::exception& error) {
        std::cerr << "rlhf: " << error.what() << std::endl;
        return 1;
    }
    return 0;
}
