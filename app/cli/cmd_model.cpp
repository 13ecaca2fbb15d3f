// `rlhf model info FOLDER`: what a Hugging Face model folder (or a checkpoint) holds, read from
// its config.json and weight files without loading the weights, as JSON: the family and shape,
// the exact parameter count, the dtype and size on disk, the memory that chatting with it and
// fully fine-tuning it take here, and its own chat template with a preview.
// `rlhf model add -p PROJECT FOLDER [--name N] [--base B]`: the folder (or a Hugging Face cache
// folder) checked and recorded in the project as a base model: the start of fine-tuning, and a
// contestant in chat and the arena; a PEFT adapter folder is copied into adapters/ on its base
// (--base: a local folder, when base_model_name_or_path names a Hub model). `rlhf model list -p
// PROJECT`. The CLI twins of the studio's "Add model…" dialog (core/train/base_model.h).
#include "app/cli/commands.h"

#include "core/store/project.h"
#include "core/train/base_model.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace rlhf::cli {

namespace {

nlohmann::ordered_json modelJson(const store::BaseModel& model)
{
    return {{"name", model.name},
            {"path", model.path},
            {"family", model.family},
            {"parameters", model.parameters}};
}

} // namespace

void addModelCommands(CLI::App& app)
{
    auto* group = app.add_subcommand("model", "Hugging Face model folders: inspect, add, list");
    group->require_subcommand(1);

    auto folder = std::make_shared<std::string>();
    auto* info = group->add_subcommand("info", "Family, shape, parameters, dtype and memory");
    info->add_option("folder", *folder, "Model folder (config.json + safetensors)")
        ->required()
        ->check(CLI::ExistingDirectory);
    info->callback([folder] {
        const auto found = train::modelFolderOf(*folder);
        std::cout << train::describeModelFolder(found).dump(2) << std::endl;
    });

    struct AddArguments {
        std::string project, folder, name, base;
    };
    auto added = std::make_shared<AddArguments>();
    auto* add = group->add_subcommand(
        "add", "Add a model folder to a project as a base model (weights stay where they are)");
    add->add_option("-p,--project", added->project, "Project folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    add->add_option("folder", added->folder, "Model folder, or a Hugging Face cache folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    add->add_option("--name", added->name, "Name in the project (default: the model's)");
    add->add_option("--base", added->base,
                    "A PEFT adapter's base model folder (default: base_model_name_or_path)")
        ->check(CLI::ExistingDirectory);
    add->callback([added] {
        store::Project project = store::Project::open(added->project);
        const store::BaseModel model =
            added->base.empty()
                ? train::addBaseModel(project, added->folder, added->name)
                : train::addAdapterModel(project, added->folder, added->base, added->name);
        std::cout << modelJson(model).dump(2) << std::endl;
    });

    auto listed = std::make_shared<std::string>();
    auto* list = group->add_subcommand("list", "The project's base models");
    list->add_option("-p,--project", *listed, "Project folder")
        ->required()
        ->check(CLI::ExistingDirectory);
    list->callback([listed] {
        const store::Project project = store::Project::open(*listed);
        nlohmann::ordered_json models = nlohmann::ordered_json::array();
        for (const store::BaseModel& model : project.database().models())
            models.push_back(modelJson(model));
        std::cout << models.dump(2) << std::endl;
    });
}

} // namespace rlhf::cli
