// The one reading of the --precision word that every computing command shares (train, demo,
// bench pretrain / gemm / ppo / generate): auto, fp32 or bf16, anything else refused with the
// option and the allowed words named.
#include "app/cli/commands.h"

#include "core/gen/decode_precision.h"
#include "core/model/torch_runtime.h"
#include "core/train/training_options.h"
#include "core/util/error.h"
#include "core/util/word_table.h"

#include <CLI/CLI.hpp>

#include <optional>

namespace rlhf::cli {

namespace {

std::optional<train::Precision> precisionOf(const std::string& word)
{
    return findWord(train::precisionWords, word);
}

std::string refusal(const std::string& word)
{
    return "expected " + wordList(train::precisionWords) + ", got \"" + word + "\"";
}

} // namespace

train::Precision parsePrecision(const std::string& name)
{
    if (const auto precision = precisionOf(name)) return *precision;
    throw Error("--precision: " + refusal(name));
}

gen::DecodeSetup decodeSetup(const std::string& device, const std::string& precision)
{
    const train::DeviceChoice choice =
        withContext("--device", [&] { return train::parseDevice(device); });
    const bool gpu = choice.kind == train::Device::Cuda ||
                     (choice.kind == train::Device::Auto && model::cudaAvailable());
    gen::DecodeSetup setup(gen::autoDecodePrecision(), gpu ? choice.gpu : -1);
    switch (parsePrecision(precision)) {
    case train::Precision::Float32:
        setup.precision = gen::DecodePrecision::Float32;
        break;
    case train::Precision::BFloat16:
        setup.precision = gen::DecodePrecision::BFloat16;
        break;
    case train::Precision::Auto:
        if (gpu) setup.precision = gen::DecodePrecision::BFloat16;
        break;
    }
    return setup;
}

CLI::Option* addPrecisionOption(CLI::App& command, std::string& word, const std::string& help)
{
    const CLI::Validator check(
        [](std::string& value) { return precisionOf(value) ? std::string() : refusal(value); },
        "auto|fp32|bf16");
    return command.add_option("--precision", word, help)->check(check);
}

} // namespace rlhf::cli
