// `rlhf`: the command-line twin of every studio action, reading the same config files.
// Thin: parses arguments and calls the core. Errors are printed as one line, exit code 1.
#include "app/cli/commands.h"
#include "app/cli/number_options.h"

#include <CLI/CLI.hpp>

#include <iostream>

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
    rlhf::cli::addFeedbackCommands(app);
    rlhf::cli::addModelCommands(app);
    rlhf::cli::addExportCommand(app);
    rlhf::cli::refuseOverflowingIntegers(app); // CLI11 would wrap 2^64 and -1 silently
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
