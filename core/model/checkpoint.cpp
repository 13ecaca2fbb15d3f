#include "core/model/checkpoint.h"

#include "core/model/model_weights.h"
#include "core/model/transformer.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <map>

namespace rlhf::model {

namespace fs = std::filesystem;

namespace {

// fsync of a file or folder, so a rename that follows publishes complete data.
void syncPath(const fs::path& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw Error(path.string() + ": cannot open to sync");
    const int result = ::fsync(fd);
    ::close(fd);
    if (result != 0) throw Error(path.string() + ": fsync failed");
}

// Non-parameter buffers some HF checkpoints carry: GPT-2's causal masks, Llama's rotary table.
bool isBufferName(const std::string& name)
{
    auto endsWith = [&](const std::string& suffix) {
        return name.size() >= suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return endsWith(".attn.bias") || endsWith(".attn.masked_bias") ||
           endsWith("rotary_emb.inv_freq");
}

// A NaN or infinite weight (a run that diverged, a damaged file) would load silently and make
// every prediction NaN: name the tensor instead. A sum is one cheap pass; only when it is not
// finite are the values counted (a sum can also overflow on finite weights near the float limit).
void requireFinite(const std::string& name, const at::Tensor& tensor)
{
    at::NoGradGuard noGrad;
    if (std::isfinite(tensor.sum(at::kDouble).item<double>())) return;
    const int64_t nan = tensor.isnan().sum().item<int64_t>();
    const int64_t inf = tensor.isinf().sum().item<int64_t>();
    if (nan + inf == 0) return;
    throw Error("tensor '" + name + "' holds " + std::to_string(nan) + " NaN and " +
                std::to_string(inf) + " infinite values (of " + std::to_string(tensor.numel()) +
                "): the checkpoint is damaged or was saved by a run that diverged");
}

// Writes the checkpoint into `staging`, then publishes it as `folder` (an atomic rename).
void writeCheckpoint(const fs::path& staging, const fs::path& folder, TransformerImpl& model,
                     const CheckpointContents& contents)
{
    withContext("saving checkpoint " + folder.string(), [&] {
        fs::remove_all(staging);
        fs::create_directories(staging);

        if (contents.adapter) {
            saveAdapter(staging, *contents.adapter, model.config().flavour == Flavour::Gpt2);
        } else {
            NamedTensors weights;
            for (const auto& item : model.named_parameters())
                weights.emplace_back(item.key(), item.value());
            writeModelWeights(staging, weights, scalarTypeOf(contents.weightsDtype),
                              contents.maxShardBytes);
            ModelConfig config = model.config();
            config.dtype = contents.weightsDtype;
            writeJsonFile(staging / "config.json", toHfConfig(config));
        }
        if (!contents.optimizerState.empty())
            writeTensors(staging / "optimizer.safetensors", contents.optimizerState);
        if (!contents.trainerState.is_null())
            writeJsonFile(staging / "trainer_state.json", contents.trainerState);
        for (const auto& [name, tensors] : contents.tensorFiles)
            writeTensors(staging / name, tensors);
        if (!contents.tokenizer.empty())
            fs::copy_file(contents.tokenizer, staging / "tokenizer.json",
                          fs::copy_options::overwrite_existing);
        if (!contents.companionsFrom.empty())
            for (const char* name : {"tokenizer_config.json", "chat_template.jinja",
                                     "special_tokens_map.json", "generation_config.json"})
                if (fs::exists(contents.companionsFrom / name))
                    fs::copy_file(contents.companionsFrom / name, staging / name,
                                  fs::copy_options::overwrite_existing);
        for (const auto& entry : fs::directory_iterator(staging))
            syncPath(entry.path());
        syncPath(staging);

        fs::remove_all(folder);
        fs::rename(staging, folder);
        syncPath(folder.parent_path());
    });
}

} // namespace

void saveCheckpoint(const fs::path& folder, TransformerImpl& model,
                    const CheckpointContents& contents)
{
    const fs::path staging = folder.string() + ".tmp";
    try {
        writeCheckpoint(staging, folder, model, contents);
    } catch (...) {
        // A full disk or a failed write: the earlier checkpoints stay as they are, and the
        // partial one goes so that its space is free again.
        std::error_code ignored;
        fs::remove_all(staging, ignored);
        throw;
    }
}

ModelConfig loadCheckpointConfig(const fs::path& folder)
{
    return readModelConfig(folder); // of an adapter folder, its base's
}

void loadCheckpointWeights(const fs::path& folder, TransformerImpl& model)
{
    withContext("loading the weights of " + folder.string(), [&] {
        const ModelWeights weights(folder);
        std::map<std::string, std::string> stored; // our parameter name -> the file's name
        for (const std::string& name : weights.names()) {
            if (isBufferName(name)) continue;
            // The GPT-2 checkpoints of the HF hub are GPT2Model's: names lack "transformer.".
            const bool bare = model.config().flavour == Flavour::Gpt2 && name != "lm_head.weight" &&
                              name.rfind("transformer.", 0) != 0;
            stored.emplace(bare ? "transformer." + name : name, name);
        }
        at::NoGradGuard noGrad;
        for (auto& item : model.named_parameters()) {
            auto found = stored.find(item.key());
            if (found == stored.end()) throw Error("tensor '" + item.key() + "' is missing");
            const at::Tensor source = weights.tensor(found->second);
            if (source.sizes() != item.value().sizes())
                throw Error("tensor '" + item.key() + "': shape " + c10::str(source.sizes()) +
                            " expected " + c10::str(item.value().sizes()));
            item.value().copy_(source); // converts bf16 / fp16 to the parameter's fp32
            requireFinite(item.key(), item.value());
            stored.erase(found);
        }
        stored.erase("lm_head.weight"); // HF writes the tied head too; it is the embedding here
        if (!stored.empty())
            throw Error("tensor '" + stored.begin()->first + "' is not part of this model");
    });
}

Transformer loadTransformer(const fs::path& folder)
{
    if (isAdapterFolder(folder)) {
        const AdapterFolder adapter = loadAdapter(folder);
        withContext("loading the adapter of " + folder.string(), [&] {
            for (const auto& [name, tensor] : adapter.tensors)
                requireFinite(name, tensor);
        });
        Transformer model = loadTransformer(adapterBaseFolder(folder));
        withContext("applying the adapter of " + folder.string(), [&] {
            model->mergeAdapter(model->addAdapter(adapter.config, adapter.tensors));
        });
        return model;
    }
    Transformer model(loadCheckpointConfig(folder));
    loadCheckpointWeights(folder, *model);
    return model;
}

NamedTensors loadOptimizerState(const fs::path& folder)
{
    return readTensors(folder / "optimizer.safetensors");
}

nlohmann::json loadTrainerState(const fs::path& folder)
{
    return readJsonFile(folder / "trainer_state.json");
}

} // namespace rlhf::model
