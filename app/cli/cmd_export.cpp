// `rlhf export CHECKPOINT --format gguf|hf --type TYPE -o OUT`: a checkpoint (a Hugging Face
// model folder) as a file other tools run. gguf: one file for llama.cpp, Ollama and LM Studio,
// with the tokenizer and the chat template (the folder's own, or the studio's for models trained
// here); hf: a plain model folder in another dtype, without the training state. Prints a JSON
// summary on stdout; a progress bar on a terminal's stderr.
#include "app/cli/commands.h"
#include "app/cli/progress.h"

#include "core/chat/jinja/model_template.h"
#include "core/model/gguf_export.h"
#include "core/model/hf_export.h"
#include "core/util/error.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

namespace rlhf::cli {

namespace {

namespace fs = std::filesystem;

struct ExportOptions {
    std::string folder;
    std::string format = "gguf";
    std::string type = "f16";
    std::string output;
};

nlohmann::ordered_json exportGguf(const ExportOptions& options)
{
    const fs::path folder = options.folder;
    model::GgufExportOptions gguf;
    gguf.type = model::ggufFileTypeFromName(options.type);
    // The folder's own template; without one, exportGguf writes the studio's for a tokenizer
    // with the studio's chat tokens.
    const auto own = chat::jinja::ModelTemplate::load(folder);
    if (own) gguf.chatTemplate = own->source();
    ProgressPrinter progress(std::cerr);
    gguf.progress = [&](int64_t done, int64_t total, const std::string&) {
        progress.onProgress(done, total);
    };
    const auto start = std::chrono::steady_clock::now();
    const model::GgufExportResult result = model::exportGguf(folder, options.output, gguf);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    nlohmann::ordered_json out;
    out["format"] = "gguf";
    out["file"] = options.output;
    out["type"] = options.type;
    out["architecture"] = result.architecture;
    out["bytes"] = result.bytes;
    out["tensors"] = result.tensors;
    out["tensor_types"] = result.typeCount;
    out["context_length"] = result.contextLength;
    out["tokenizer"] = {{"model", result.vocab.model},
                        {"pre", result.vocab.preTokenizer},
                        {"tokens", result.vocab.tokens},
                        {"merges", result.vocab.merges}};
    out["chat_template"] = own                         ? nlohmann::ordered_json(own->file())
                           : result.studioChatTemplate ? nlohmann::ordered_json("studio")
                                                       : nlohmann::ordered_json();
    out["notes"] = result.notes;
    out["seconds"] = seconds;
    return out;
}

nlohmann::ordered_json exportHf(const ExportOptions& options)
{
    static const std::map<std::string, std::string> dtypes = {
        {"f32", "float32"}, {"bf16", "bfloat16"}, {"f16", "float16"}};
    const auto dtype = dtypes.find(options.type);
    if (dtype == dtypes.end())
        throw Error("--type " + options.type + ": --format hf takes f32, bf16 or f16");
    const auto start = std::chrono::steady_clock::now();
    const uint64_t bytes = model::exportHfFolder(options.folder, options.output, dtype->second);
    nlohmann::ordered_json out;
    out["format"] = "hf";
    out["folder"] = options.output;
    out["dtype"] = dtype->second;
    out["weight_bytes"] = bytes;
    out["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

} // namespace

void addExportCommand(CLI::App& app)
{
    auto options = std::make_shared<ExportOptions>();
    auto* command = app.add_subcommand(
        "export", "Export a checkpoint as GGUF (llama.cpp, Ollama, LM Studio) or an HF folder");
    command->add_option("checkpoint", options->folder, "Checkpoint or HF model folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    command->add_option("--format", options->format, "gguf (default) or hf")
        ->check(CLI::IsMember({"gguf", "hf"}));
    command
        ->add_option("--type", options->type,
                     "Weight type: f16 (default), q8_0, bf16 or f32 (hf: f16, bf16 or f32)")
        ->check(CLI::IsMember({"f16", "q8_0", "bf16", "f32"}));
    command->add_option("-o,--output", options->output, "The .gguf file or HF folder to write")
        ->required();
    command->callback([options] {
        const nlohmann::ordered_json result =
            options->format == "gguf" ? exportGguf(*options) : exportHf(*options);
        std::cout << result.dump(2) << std::endl;
    });
}

} // namespace rlhf::cli
