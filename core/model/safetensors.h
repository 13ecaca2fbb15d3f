// Our own reader and writer of the safetensors format (Hugging Face's checkpoint format: a JSON
// header and raw little-endian tensor bytes; nothing executable). Torch-free: it moves bytes,
// shapes and dtypes; converting to and from torch tensors is checkpoint.cpp's job.
// File layout: u64 header length N (little-endian), N bytes of JSON
// {"<name>": {"dtype": "F32", "shape": [4, 8], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"<key>": "<string>"}}, then the data buffer that the offsets index.
#pragma once

#include "core/util/mapped_file.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::model {

// The element types of the format, in the order of the reference (Rust) implementation.
enum class DType {
    Bool,
    U8,
    I8,
    F8E5M2,
    F8E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64
};

std::string_view dtypeName(DType dtype);                // as in the header: "F32", "BOOL"
std::optional<DType> parseDType(std::string_view name); // nullopt for an unknown name
size_t dtypeSize(DType dtype);                          // bytes per element: F32 -> 4

using SafetensorsMetadata = std::map<std::string, std::string>; // the header's "__metadata__"

// One tensor to write. `bytes` is not owned: it must stay valid during writeSafetensors.
struct TensorBytes {
    std::string name; // e.g. "h.0.attn.c_attn.weight"
    DType dtype = DType::F32;
    std::vector<int64_t> shape;       // e.g. {768, 2304}; {} is a scalar
    std::span<const std::byte> bytes; // product(shape) * dtypeSize(dtype) little-endian bytes
};

// Writes `tensors` atomically (temporary file beside `file`, fsync, rename, fsync folder).
// The header has sorted keys and is padded with spaces to a multiple of 8 bytes; the data is
// laid out as the reference implementation does (wider dtypes first, then by name), so every
// tensor starts at a multiple of its element size. Throws rlhf::Error on a duplicate or
// reserved name or a byte count that does not match the shape.
void writeSafetensors(const std::filesystem::path& file, std::span<const TensorBytes> tensors,
                      const SafetensorsMetadata& metadata = {});

// A read-only view of one tensor in a SafetensorsFile; valid while that file object lives.
// `bytes` may be unaligned for the element type in files from other writers: copy, don't cast.
struct TensorView {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::span<const std::byte> bytes;

    int64_t elementCount() const; // product of shape; 1 for a scalar
};

// A safetensors file, memory-mapped and fully validated on construction: the header is a JSON
// object; every entry has a known dtype, a shape of non-negative integers, and data_offsets
// inside the data buffer whose span matches shape x dtype size; the spans neither overlap nor
// leave gaps, and cover the buffer exactly. Errors name the file and the tensor, e.g.
// "model.safetensors: tensor 'h.0.attn.c_attn.weight': data_offsets [0, 96] span 96 bytes,
// shape [4, 8] F32 needs 128".
class SafetensorsFile {
public:
    static constexpr uint64_t maxHeaderBytes = 100'000'000; // the reference implementation's limit

    explicit SafetensorsFile(const std::filesystem::path& file);

    const std::filesystem::path& path() const { return m_file.path(); }
    const SafetensorsMetadata& metadata() const { return m_metadata; }
    std::vector<std::string> names() const; // sorted
    bool contains(std::string_view name) const;
    // Throws rlhf::Error naming the file and tensor when there is no such tensor.
    TensorView tensor(std::string_view name) const;

private:
    struct Entry {
        DType dtype;
        std::vector<int64_t> shape;
        uint64_t begin; // offsets into the data buffer
        uint64_t end;
    };

    void parseHeader(std::string_view header, uint64_t dataSize);
    void checkCoverage(uint64_t dataSize) const;

    MappedFile m_file;
    std::span<const std::byte> m_data; // the data buffer, inside m_file
    SafetensorsMetadata m_metadata;
    std::map<std::string, Entry, std::less<>> m_entries;
};

} // namespace rlhf::model
