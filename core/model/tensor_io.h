// LibTorch tensors <-> safetensors files: the bridge over the torch-free safetensors reader and
// writer. Tensors are written contiguous, on the CPU, in their own dtype.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rlhf::model {

enum class DType; // model/safetensors.h

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

void writeTensors(const std::filesystem::path& file, const NamedTensors& tensors,
                  const std::map<std::string, std::string>& metadata = {});
NamedTensors readTensors(const std::filesystem::path& file); // owned copies, CPU

// The LibTorch type of a safetensors dtype; nullopt for the unsigned wide ints and fp8, which
// LibTorch 1.13 lacks.
std::optional<at::ScalarType> toScalarType(DType dtype);

} // namespace rlhf::model
