// `rlhf export CHECKPOINT --format gguf|hf`: a checkpoint as a file other tools run (being written).
#include "app/cli/commands.h"

#include <CLI/CLI.hpp>

namespace rlhf::cli {

void addExportCommand(CLI::App& app)
{
    app.add_subcommand("export", "Export a checkpoint (not ready yet)");
}

} // namespace rlhf::cli
