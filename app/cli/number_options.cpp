#include "app/cli/number_options.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace rlhf::cli {

namespace {

// "" when `text` is an integer (base prefixes as CLI11 reads them) that fits 64 bits, signed
// or unsigned; else the problem.
std::string integerProblem(const std::string& text, bool isUnsigned)
{
    const std::string range = isUnsigned
                                  ? "0 to " + std::to_string(std::numeric_limits<uint64_t>::max())
                                  : std::to_string(std::numeric_limits<int64_t>::min()) + " to " +
                                        std::to_string(std::numeric_limits<int64_t>::max());
    const std::string outOfRange = text + " is out of range (" + range + ")";
    const size_t first = text.find_first_not_of(" \t");
    if (isUnsigned && first != std::string::npos && text[first] == '-') return outOfRange;
    char* end = nullptr;
    errno = 0;
    if (isUnsigned)
        (void)std::strtoull(text.c_str(), &end, 0);
    else
        (void)std::strtoll(text.c_str(), &end, 0);
    if (end == text.c_str() || *end != '\0') return {}; // not a number: CLI11 says so itself
    return errno == ERANGE ? outOfRange : std::string();
}

void addIntegerChecks(CLI::App& app)
{
    for (CLI::Option* option : app.get_options()) {
        const std::string type = option->get_type_name();
        const std::string base = type.substr(0, type.find(':'));
        if (base != "INT" && base != "UINT") continue;
        const bool isUnsigned = base == "UINT";
        option->check(CLI::Validator(
            [isUnsigned](std::string& text) { return integerProblem(text, isUnsigned); },
            std::string()));
    }
    for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; }))
        addIntegerChecks(*command);
}

} // namespace

CLI::Validator inRange(const ValueRange& range)
{
    return CLI::Validator(
        [range](std::string& text) -> std::string {
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0') return {}; // not a number: CLI11 says so
            return rangeProblem(range, value, text);
        },
        std::string());
}

void refuseOverflowingIntegers(CLI::App& app)
{
    addIntegerChecks(app);
}

} // namespace rlhf::cli
