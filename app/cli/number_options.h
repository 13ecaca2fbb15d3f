// Numbers on the command line: CLI11 2.1 reads an integer with strtoll / strtoull and ignores
// their overflow, so `--seed 99999999999999999999999` became 18446744073709551615 and
// `--seed -1` wrapped to it too. refuseOverflowingIntegers() gives every integer option of the
// `rlhf` tree a check against that; inRange() is an option's check against one entry of a
// range table (core/train/option_ranges.h), with the message the documents give.
#pragma once

#include "core/util/value_range.h"

#include <CLI/CLI.hpp>

namespace rlhf::cli {

// A check refusing a value outside `range` (or not a number):
// "--steps: 0 is out of range (1 to 1000000000)".
CLI::Validator inRange(const ValueRange& range);

// Adds to every integer option of `app` and its subcommands (recursively) a check that the
// text fits a 64-bit integer, unsigned options refusing a sign:
// "--seed: 99999999999999999999999 is out of range (0 to 18446744073709551615)".
// Call it once every command is added.
void refuseOverflowingIntegers(CLI::App& app);

} // namespace rlhf::cli
