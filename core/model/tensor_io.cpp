#include "core/model/tensor_io.h"

#include "core/model/safetensors.h"
#include "core/util/error.h"

#include <ATen/ATen.h>

#include <cstring>
#include <optional>

namespace rlhf::model {

namespace {

DType toDType(at::ScalarType type, const std::string& name)
{
    switch (type) {
    case at::kFloat:
        return DType::F32;
    case at::kDouble:
        return DType::F64;
    case at::kHalf:
        return DType::F16;
    case at::kBFloat16:
        return DType::BF16;
    case at::kLong:
        return DType::I64;
    case at::kInt:
        return DType::I32;
    case at::kShort:
        return DType::I16;
    case at::kChar:
        return DType::I8;
    case at::kByte:
        return DType::U8;
    case at::kBool:
        return DType::Bool;
    default:
        throw Error("tensor '" + name + "': dtype " + std::string(c10::toString(type)) +
                    " has no safetensors equivalent");
    }
}

} // namespace

std::optional<at::ScalarType> toScalarType(DType dtype)
{
    switch (dtype) {
    case DType::F32:
        return at::kFloat;
    case DType::F64:
        return at::kDouble;
    case DType::F16:
        return at::kHalf;
    case DType::BF16:
        return at::kBFloat16;
    case DType::I64:
        return at::kLong;
    case DType::I32:
        return at::kInt;
    case DType::I16:
        return at::kShort;
    case DType::I8:
        return at::kChar;
    case DType::U8:
        return at::kByte;
    case DType::Bool:
        return at::kBool;
    default:
        return std::nullopt; // unsigned wide ints and fp8 have no LibTorch 1.13 type
    }
}

void writeTensors(const std::filesystem::path& file, const NamedTensors& tensors,
                  const std::map<std::string, std::string>& metadata)
{
    std::vector<at::Tensor> keepAlive; // contiguous CPU copies the byte spans point into
    std::vector<TensorBytes> entries;
    keepAlive.reserve(tensors.size());
    for (const auto& [name, tensor] : tensors) {
        keepAlive.push_back(tensor.detach().to(at::kCPU).contiguous());
        const at::Tensor& cpu = keepAlive.back();
        TensorBytes entry;
        entry.name = name;
        entry.dtype = toDType(cpu.scalar_type(), name);
        entry.shape = cpu.sizes().vec();
        entry.bytes = {static_cast<const std::byte*>(cpu.data_ptr()), cpu.nbytes()};
        entries.push_back(std::move(entry));
    }
    writeSafetensors(file, entries, metadata);
}

NamedTensors readTensors(const std::filesystem::path& file)
{
    const SafetensorsFile source(file);
    NamedTensors tensors;
    for (const std::string& name : source.names()) {
        const TensorView view = source.tensor(name);
        const auto type = toScalarType(view.dtype);
        if (!type)
            throw Error(file.string() + ": tensor '" + name + "': dtype " +
                        std::string(dtypeName(view.dtype)) + " is not supported by LibTorch here");
        auto tensor = at::empty(view.shape, at::TensorOptions().dtype(*type));
        std::memcpy(tensor.data_ptr(), view.bytes.data(), view.bytes.size()); // may be unaligned
        tensors.emplace_back(name, std::move(tensor));
    }
    return tensors;
}

} // namespace rlhf::model
