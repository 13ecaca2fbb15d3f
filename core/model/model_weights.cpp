#include "core/model/model_weights.h"

#include "core/model/safetensors.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace rlhf::model {

namespace fs = std::filesystem;

namespace {

constexpr const char* singleFile = "model.safetensors";
constexpr const char* indexFile = "model.safetensors.index.json";

// The LibTorch type of a stored weight: the floating-point types only.
at::ScalarType storedType(const TensorView& view, const std::string& name)
{
    const auto type = toScalarType(view.dtype);
    if (!type || !at::isFloatingType(*type))
        throw Error("tensor '" + name + "': dtype " + std::string(dtypeName(view.dtype)) +
                    " is not a weight type here (F32, BF16, F16 or F64)");
    return *type;
}

} // namespace

ModelWeights::ModelWeights(const fs::path& folder)
{
    if (fs::exists(folder / singleFile)) {
        m_files.push_back(std::make_unique<SafetensorsFile>(folder / singleFile));
        for (const std::string& name : m_files.back()->names())
            m_index.emplace(name, m_files.back().get());
        return;
    }
    if (!fs::exists(folder / indexFile))
        throw Error(folder.string() + ": neither " + singleFile + " nor " + indexFile);
    const fs::path index = folder / indexFile;
    const nlohmann::json json = readJsonFile(index);
    if (!json.is_object() || !json.contains("weight_map") || !json.at("weight_map").is_object())
        throw Error(index.string() + ": no \"weight_map\" object");
    std::map<std::string, const SafetensorsFile*> opened;
    for (const auto& [name, file] : json.at("weight_map").items()) {
        if (!file.is_string())
            throw Error(index.string() + ": weight_map." + name + ": expected a file name");
        const std::string shard = file.get<std::string>();
        if (shard.find('/') != std::string::npos || shard.starts_with("."))
            throw Error(index.string() + ": weight_map." + name + ": '" + shard +
                        "' is not a file of this folder");
        auto found = opened.find(shard);
        if (found == opened.end()) {
            m_files.push_back(std::make_unique<SafetensorsFile>(folder / shard));
            found = opened.emplace(shard, m_files.back().get()).first;
        }
        if (!found->second->contains(name))
            throw Error(index.string() + ": tensor '" + name + "' is not in " + shard);
        m_index.emplace(name, found->second);
    }
}

ModelWeights::~ModelWeights() = default;

std::vector<std::string> ModelWeights::names() const
{
    std::vector<std::string> names;
    for (const auto& entry : m_index)
        names.push_back(entry.first);
    return names;
}

c10::ScalarType ModelWeights::dtype(const std::string& name) const
{
    const auto found = m_index.find(name);
    if (found == m_index.end()) throw Error("tensor '" + name + "' is not in the model's files");
    return storedType(found->second->tensor(name), name);
}

at::Tensor ModelWeights::tensor(const std::string& name) const
{
    const auto found = m_index.find(name);
    if (found == m_index.end()) throw Error("tensor '" + name + "' is not in the model's files");
    const TensorView view = found->second->tensor(name);
    const auto options = at::TensorOptions().dtype(storedType(view, name));
    void* data = const_cast<std::byte*>(view.bytes.data()); // read-only: only ever copied from
    if (reinterpret_cast<uintptr_t>(data) % dtypeSize(view.dtype) == 0)
        return at::from_blob(data, view.shape, options);
    auto copy = at::empty(view.shape, options); // another writer's unaligned layout
    std::memcpy(copy.data_ptr(), view.bytes.data(), view.bytes.size());
    return copy;
}

void writeModelWeights(const fs::path& folder, const NamedTensors& weights, c10::ScalarType dtype,
                       uint64_t maxShardBytes)
{
    // Plan the shards by size first (their file names carry the count), then convert and write
    // one shard at a time, so the converted copies never exceed one shard.
    std::vector<size_t> shardStarts{0};
    uint64_t shardBytes = 0, totalBytes = 0;
    for (size_t index = 0; index < weights.size(); ++index) {
        const uint64_t bytes = uint64_t(weights[index].second.numel()) * c10::elementSize(dtype);
        if (shardBytes > 0 && shardBytes + bytes > maxShardBytes) {
            shardStarts.push_back(index);
            shardBytes = 0;
        }
        shardBytes += bytes, totalBytes += bytes;
    }
    shardStarts.push_back(weights.size());
    const size_t shardCount = shardStarts.size() - 1;

    nlohmann::json weightMap = nlohmann::json::object();
    for (size_t shard = 0; shard < shardCount; ++shard) {
        NamedTensors converted;
        for (size_t index = shardStarts[shard]; index < shardStarts[shard + 1]; ++index)
            converted.emplace_back(weights[index].first,
                                   weights[index].second.detach().to(at::kCPU, dtype));
        char file[64];
        std::snprintf(file, sizeof file, "model-%05zu-of-%05zu.safetensors", shard + 1, shardCount);
        const std::string name = shardCount == 1 ? singleFile : file;
        writeTensors(folder / name, converted, {{"format", "pt"}});
        for (const auto& entry : converted)
            weightMap[entry.first] = name;
    }
    if (shardCount > 1)
        writeJsonFile(folder / indexFile,
                      {{"metadata", {{"total_size", totalBytes}}}, {"weight_map", weightMap}});
}

c10::ScalarType scalarTypeOf(const std::string& dtype)
{
    if (dtype == "float32") return at::kFloat;
    if (dtype == "bfloat16") return at::kBFloat16;
    if (dtype == "float16") return at::kHalf;
    throw Error("dtype '" + dtype + "' is not supported (float32, bfloat16 or float16)");
}

std::string dtypeWord(c10::ScalarType type)
{
    switch (type) {
    case at::kFloat:
        return "float32";
    case at::kBFloat16:
        return "bfloat16";
    case at::kHalf:
        return "float16";
    default:
        throw Error("dtype " + std::string(c10::toString(type)) + " is not a weight dtype here");
    }
}

} // namespace rlhf::model
