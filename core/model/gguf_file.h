// The GGUF container, version 3, as llama.cpp reads it: a little-endian header of typed
// key/value metadata and tensor descriptions, then each tensor's data at a 32-byte aligned
// offset. Writing only. The data is streamed one tensor at a time into "<target>.tmp", which is
// renamed over the target once complete, so a failed export never leaves a partial .gguf.
// Torch-free; what the keys and tensors of a model are is model/gguf_export.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rlhf::model {

// ggml's tensor types that the export writes (ggml.h's enum ggml_type values).
enum class GgmlType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q8_0 = 8, // blocks of 32: an fp16 scale and 32 int8 (34 bytes)
    Bf16 = 30,
};

std::string_view ggmlTypeName(GgmlType type); // "f32", "f16", "q8_0", "bf16"
// Bytes of a row of `elements` values; throws rlhf::Error when a quantized row is not a whole
// number of blocks.
uint64_t ggmlRowBytes(GgmlType type, int64_t elements);

// A metadata value in the GGUF types llama.cpp reads (uint32, int32, float32, bool, uint64,
// string and arrays of strings, int32 or float32).
using GgufValue = std::variant<uint32_t, int32_t, uint64_t, float, bool, std::string,
                               std::vector<std::string>, std::vector<int32_t>, std::vector<float>>;

class GgufWriter {
public:
    static constexpr uint32_t alignment = 32; // general.alignment, GGUF's default

    explicit GgufWriter(std::filesystem::path target);
    ~GgufWriter(); // removes the temporary file unless finish() succeeded
    GgufWriter(const GgufWriter&) = delete;
    GgufWriter& operator=(const GgufWriter&) = delete;

    // Declarations, before beginData(), in the order they appear in the file.
    void setMetadata(const std::string& key, GgufValue value); // replaces an earlier value
    // `dims` in ggml's order, the reverse of torch's: dims[0] is the length of a row.
    void addTensor(const std::string& name, std::vector<int64_t> dims, GgmlType type);

    // Writes the header into the temporary file; then writeTensor() once per tensor, in order.
    void beginData();
    // The next tensor's bytes, exactly its size; errors name the file (and a full disk).
    void writeTensor(std::span<const std::byte> data);
    // Flushes, syncs and renames the temporary file over the target; returns the file's bytes.
    uint64_t finish();

    const std::filesystem::path& target() const { return m_target; }
    uint64_t tensorBytes(std::size_t index) const; // the data size of tensor `index`

private:
    struct TensorInfo {
        std::string name;
        std::vector<int64_t> dims;
        GgmlType type;
        uint64_t offset = 0; // from the start of the data section
        uint64_t bytes = 0;
    };

    void writeBytes(const void* data, std::size_t size);
    void writeString(std::string_view text);
    void writeValue(const GgufValue& value);
    void pad();
    [[noreturn]] void fail(const std::string& what) const;

    std::filesystem::path m_target;
    std::filesystem::path m_temporary;
    std::vector<std::pair<std::string, GgufValue>> m_metadata;
    std::vector<TensorInfo> m_tensors;
    std::FILE* m_file = nullptr; // owned; open between beginData() and finish()
    uint64_t m_position = 0;     // bytes written so far
    std::size_t m_nextTensor = 0;
    bool m_finished = false;
};

} // namespace rlhf::model
