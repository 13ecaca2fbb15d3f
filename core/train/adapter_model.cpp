// A PEFT adapter folder added to a project as a model on its base (see base_model.h).
#include "core/train/base_model.h"

#include "core/model/hf_config.h"
#include "core/model/peft_adapter.h"
#include "core/store/names.h"
#include "core/store/project.h"
#include "core/util/error.h"

#include <ATen/core/Tensor.h>

#include <map>

namespace rlhf::train {

namespace fs = std::filesystem;

namespace {

// Every tensor of `adapter` names a linear layer of `config` and has its shape; a layer with
// one of A and B lacks the other. Errors name the file and the tensor.
void checkAgainstBase(const model::AdapterFolder& adapter, const model::ModelConfig& config,
                      const fs::path& file)
{
    std::map<std::string, model::LinearShape> layers;
    for (const model::LinearShape& shape : model::linearShapes(config))
        layers.emplace(shape.name, shape);
    std::map<std::string, int> halves;
    for (const auto& [name, tensor] : adapter.tensors) {
        const auto dot = name.rfind(".lora_");
        const auto layer =
            dot == std::string::npos ? layers.end() : layers.find(name.substr(0, dot));
        if (layer == layers.end())
            throw Error(file.string() + ": tensor " + name + " fits no linear layer of the base");
        const model::LinearShape& shape = layer->second;
        const std::string part = name.substr(dot + 1);
        const auto sizes = tensor.sizes();
        const bool fits = part == "lora_A.weight"   ? sizes.size() == 2 && sizes[1] == shape.in
                          : part == "lora_B.weight" ? sizes.size() == 2 && sizes[0] == shape.out
                          : part == "lora_magnitude_vector"
                              ? sizes.size() == 1 && sizes[0] == shape.out
                              : false;
        if (!fits)
            throw Error(file.string() + ": tensor " + name + " does not fit the base's " +
                        shape.name + " (" + std::to_string(shape.in) + " in, " +
                        std::to_string(shape.out) + " out)");
        if (part != "lora_magnitude_vector") ++halves[shape.name];
    }
    for (const auto& [layer, count] : halves)
        if (count != 2)
            throw Error(file.string() + ": " + layer + " has lora_A or lora_B without the other");
}

} // namespace

store::BaseModel addAdapterModel(store::Project& project, const fs::path& adapterFolder,
                                 const fs::path& baseChoice, const std::string& name)
{
    if (!model::isAdapterFolder(adapterFolder))
        throw Error(adapterFolder.string() + ": no adapter_config.json (not a PEFT adapter)");
    model::AdapterFolder adapter = model::loadAdapter(adapterFolder);
    const fs::path base = fs::absolute(baseChoice.empty() ? model::adapterBaseFolder(adapterFolder)
                                                          : modelFolderOf(baseChoice))
                              .lexically_normal();
    if (model::isAdapterFolder(base))
        throw Error(base.string() + ": the base must be a model folder, not another adapter");
    const model::ModelConfig config = model::readModelConfig(base);
    checkAgainstBase(adapter, config, adapterFolder / "adapter_model.safetensors");

    const std::string chosenName = name.empty() ? adapterFolder.filename().string() : name;
    store::checkName("model", chosenName); // it becomes adapters/<name>/
    if (project.database().model(chosenName))
        throw Error("the project already has a model named " + chosenName);
    const fs::path target = project.paths().root() / "adapters" / chosenName;
    if (fs::exists(target)) throw Error(target.string() + " already exists");
    fs::create_directories(target);
    try {
        adapter.baseModel = base.string();
        model::saveAdapter(target, adapter, config.flavour == model::Flavour::Gpt2);
        // The tokenizer and chat template: the adapter's own (an SFT adapter may add a template),
        // else the base's.
        for (const char* file : {"tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                                 "special_tokens_map.json", "generation_config.json"}) {
            const fs::path own = adapterFolder / file, inBase = base / file;
            if (fs::exists(own))
                fs::copy_file(own, target / file);
            else if (fs::exists(inBase))
                fs::copy_file(inBase, target / file);
        }
        if (!fs::exists(target / "tokenizer.json"))
            throw Error(base.string() + ": no tokenizer.json in the adapter or its base");
        store::BaseModel model;
        model.name = chosenName;
        model.path = project.paths().relative(target);
        model.family = config.familyName();
        model.parameters = model::parameterCount(config);
        project.database().addModel(model);
        return *project.database().model(model.name);
    } catch (...) {
        fs::remove_all(target); // nothing half-written stays
        throw;
    }
}

} // namespace rlhf::train
