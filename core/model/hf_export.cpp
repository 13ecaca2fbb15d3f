#include "core/model/hf_export.h"

#include "core/model/checkpoint.h"
#include "core/model/model_weights.h"
#include "core/model/transformer.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <ATen/ATen.h>

namespace rlhf::model {

namespace fs = std::filesystem;

uint64_t exportHfFolder(const fs::path& folder, const fs::path& target, const std::string& dtype)
{
    return withContext("exporting " + folder.string() + " as a Hugging Face folder", [&] {
        if (fs::exists(target)) throw Error(target.string() + " already exists");
        ModelConfig config = loadCheckpointConfig(folder);
        config.dtype = dtype;
        const fs::path staging = target.string() + ".tmp";
        fs::remove_all(staging);
        fs::create_directories(staging);
        if (isAdapterFolder(folder)) { // a LoRA checkpoint: its base with the adapter merged
            const Transformer model = loadTransformer(folder);
            NamedTensors tensors;
            for (const auto& item : model->named_parameters())
                tensors.emplace_back(item.key(), item.value().detach());
            writeModelWeights(staging, tensors, scalarTypeOf(dtype));
        } else {
            const ModelWeights weights(folder); // mapped: converted one shard at a time
            NamedTensors tensors;
            for (const std::string& name : weights.names())
                tensors.emplace_back(name, weights.tensor(name));
            writeModelWeights(staging, tensors, scalarTypeOf(dtype));
        }
        writeJsonFile(staging / "config.json", toHfConfig(config));
        for (const char* file : {"tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                                 "special_tokens_map.json", "generation_config.json"})
            if (fs::exists(folder / file)) fs::copy_file(folder / file, staging / file);
        uint64_t bytes = 0;
        for (const auto& entry : fs::directory_iterator(staging))
            if (entry.path().extension() == ".safetensors") bytes += entry.file_size();
        fs::rename(staging, target);
        return bytes;
    });
}

} // namespace rlhf::model
