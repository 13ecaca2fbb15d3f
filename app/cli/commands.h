// The `rlhf` subcommands, one adder per file (cmd_<group>.cpp), wired together by main.cpp.
#pragma once

#include "core/train/pretrain_config.h"

#include <string>

namespace CLI {
class App;
}

namespace rlhf::cli {

void addBenchCommands(CLI::App& app);

// "auto" / "fp32" / "bf16" -> Precision; throws rlhf::Error otherwise.
train::Precision parsePrecision(const std::string& name);

} // namespace rlhf::cli
