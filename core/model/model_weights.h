// The weights of a Hugging Face model folder: model.safetensors, or the shards that
// model.safetensors.index.json lists ("weight_map": {tensor: "model-00001-of-00002.safetensors"}),
// as transformers writes and reads them. Reading maps the files and hands out one tensor at a
// time, so loading a model needs its parameters' memory, not a second copy of the files.
#pragma once

#include "core/model/tensor_io.h"

#include <c10/core/ScalarType.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rlhf::model {

class SafetensorsFile;

class ModelWeights {
public:
    // Opens and validates every file; errors name the folder, file and tensor.
    explicit ModelWeights(const std::filesystem::path& folder);
    ~ModelWeights();

    std::vector<std::string> names() const; // sorted
    // The stored tensor on the CPU in its stored dtype. It may alias the mapped file: use it
    // (copy it into a parameter) while this object lives.
    at::Tensor tensor(const std::string& name) const;
    c10::ScalarType dtype(const std::string& name) const;

private:
    std::vector<std::unique_ptr<SafetensorsFile>> m_files;
    std::map<std::string, const SafetensorsFile*> m_index; // tensor -> the file holding it
};

// transformers' default shard limit (save_pretrained's max_shard_size="5GB").
inline constexpr uint64_t defaultMaxShardBytes = 5'000'000'000;

// Writes `weights` converted to `dtype` into `folder` (which must exist): model.safetensors when
// they fit in `maxShardBytes`, else model-0000i-of-0000n.safetensors (in order, each below the
// limit unless one tensor alone exceeds it) and model.safetensors.index.json.
void writeModelWeights(const std::filesystem::path& folder, const NamedTensors& weights,
                       c10::ScalarType dtype, uint64_t maxShardBytes = defaultMaxShardBytes);

// "float32", "bfloat16", "float16" (config.json's dtype) <-> the scalar type.
c10::ScalarType scalarTypeOf(const std::string& dtype);
std::string dtypeWord(c10::ScalarType type);

} // namespace rlhf::model
