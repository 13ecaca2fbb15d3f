#include "core/model/gguf_file.h"

#include "core/util/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

namespace rlhf::model {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "GGUF files are written little-endian");

namespace {

constexpr uint32_t ggufMagic = 0x46554747; // "GGUF" as the first four bytes
constexpr uint32_t ggufVersion = 3;

// GGUF's value type codes (gguf.h: enum gguf_type).
enum class ValueType : uint32_t {
    Uint32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    Uint64 = 10,
};

constexpr int64_t q8BlockSize = 32;
constexpr uint64_t q8BlockBytes = 2 + 32;

uint64_t alignUp(uint64_t offset)
{
    return (offset + GgufWriter::alignment - 1) / GgufWriter::alignment * GgufWriter::alignment;
}

} // namespace

std::string_view ggmlTypeName(GgmlType type)
{
    switch (type) {
    case GgmlType::F32:
        return "f32";
    case GgmlType::F16:
        return "f16";
    case GgmlType::Q8_0:
        return "q8_0";
    case GgmlType::Bf16:
        return "bf16";
    }
    return "?";
}

uint64_t ggmlRowBytes(GgmlType type, int64_t elements)
{
    switch (type) {
    case GgmlType::F32:
        return uint64_t(elements) * 4;
    case GgmlType::F16:
    case GgmlType::Bf16:
        return uint64_t(elements) * 2;
    case GgmlType::Q8_0:
        if (elements % q8BlockSize != 0)
            throw Error("a q8_0 row of " + std::to_string(elements) +
                        " values is not a whole number of 32-value blocks");
        return uint64_t(elements / q8BlockSize) * q8BlockBytes;
    }
    throw Error("unknown ggml type");
}

GgufWriter::GgufWriter(fs::path target)
    : m_target(std::move(target)), m_temporary(m_target.string() + ".tmp")
{
}

GgufWriter::~GgufWriter()
{
    if (m_file) std::fclose(m_file);
    if (!m_finished) {
        std::error_code ignored;
        fs::remove(m_temporary, ignored);
    }
}

void GgufWriter::setMetadata(const std::string& key, GgufValue value)
{
    for (auto& [existing, stored] : m_metadata)
        if (existing == key) {
            stored = std::move(value);
            return;
        }
    m_metadata.emplace_back(key, std::move(value));
}

void GgufWriter::addTensor(const std::string& name, std::vector<int64_t> dims, GgmlType type)
{
    if (m_file) throw Error("GGUF tensor '" + name + "' declared after the data began");
    if (name.size() >= 64) throw Error("GGUF tensor name '" + name + "' is 64 bytes or longer");
    if (dims.empty() || dims.size() > 4)
        throw Error("GGUF tensor '" + name + "': " + std::to_string(dims.size()) + " dimensions");
    uint64_t rows = 1;
    for (std::size_t i = 1; i < dims.size(); ++i)
        rows *= uint64_t(dims[i]);
    const uint64_t bytes =
        withContext("GGUF tensor '" + name + "'", [&] { return ggmlRowBytes(type, dims[0]); }) *
        rows;
    const uint64_t offset =
        m_tensors.empty() ? 0 : alignUp(m_tensors.back().offset + m_tensors.back().bytes);
    m_tensors.push_back({name, std::move(dims), type, offset, bytes});
}

uint64_t GgufWriter::tensorBytes(std::size_t index) const
{
    return m_tensors.at(index).bytes;
}

void GgufWriter::fail(const std::string& what) const
{
    const int error = errno;
    std::string message = m_temporary.string() + ": " + what;
    if (error != 0) message += ": " + std::string(std::strerror(error));
    if (error == ENOSPC) message += " (the disk is full)";
    throw Error(message);
}

void GgufWriter::writeBytes(const void* data, std::size_t size)
{
    errno = 0;
    if (size != 0 && std::fwrite(data, 1, size, m_file) != size) fail("write failed");
    m_position += size;
}

void GgufWriter::writeString(std::string_view text)
{
    const uint64_t length = text.size();
    writeBytes(&length, sizeof length);
    writeBytes(text.data(), text.size());
}

void GgufWriter::writeValue(const GgufValue& value)
{
    auto type = [&](ValueType code) {
        const auto raw = uint32_t(code);
        writeBytes(&raw, sizeof raw);
    };
    auto array = [&](ValueType element, uint64_t count) {
        type(ValueType::Array);
        type(element);
        writeBytes(&count, sizeof count);
    };
    std::visit(
        [&]<typename T>(const T& item) {
            if constexpr (std::is_same_v<T, uint32_t>)
                type(ValueType::Uint32);
            else if constexpr (std::is_same_v<T, int32_t>)
                type(ValueType::Int32);
            else if constexpr (std::is_same_v<T, uint64_t>)
                type(ValueType::Uint64);
            else if constexpr (std::is_same_v<T, float>)
                type(ValueType::Float32);
            if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
                writeBytes(&item, sizeof item);
            } else if constexpr (std::is_same_v<T, bool>) {
                type(ValueType::Bool);
                const uint8_t byte = item ? 1 : 0;
                writeBytes(&byte, 1);
            } else if constexpr (std::is_same_v<T, std::string>) {
                type(ValueType::String);
                writeString(item);
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                array(ValueType::String, item.size());
                for (const std::string& text : item)
                    writeString(text);
            } else if constexpr (std::is_same_v<T, std::vector<int32_t>>) {
                array(ValueType::Int32, item.size());
                writeBytes(item.data(), item.size() * sizeof(int32_t));
            } else {
                array(ValueType::Float32, item.size());
                writeBytes(item.data(), item.size() * sizeof(float));
            }
        },
        value);
}

void GgufWriter::pad()
{
    static constexpr std::byte zeros[alignment] = {};
    writeBytes(zeros, alignUp(m_position) - m_position);
}

void GgufWriter::beginData()
{
    errno = 0;
    m_file = std::fopen(m_temporary.c_str(), "wb");
    if (!m_file) fail("cannot create");
    std::setvbuf(m_file, nullptr, _IOFBF, 1 << 20);
    m_position = 0;
    writeBytes(&ggufMagic, sizeof ggufMagic);
    writeBytes(&ggufVersion, sizeof ggufVersion);
    const uint64_t tensorCount = m_tensors.size(), metadataCount = m_metadata.size();
    writeBytes(&tensorCount, sizeof tensorCount);
    writeBytes(&metadataCount, sizeof metadataCount);
    for (const auto& [key, value] : m_metadata) {
        writeString(key);
        writeValue(value);
    }
    for (const TensorInfo& tensor : m_tensors) {
        writeString(tensor.name);
        const uint32_t dimensions = uint32_t(tensor.dims.size());
        writeBytes(&dimensions, sizeof dimensions);
        for (const int64_t dim : tensor.dims) {
            const uint64_t size = uint64_t(dim);
            writeBytes(&size, sizeof size);
        }
        const auto type = uint32_t(tensor.type);
        writeBytes(&type, sizeof type);
        writeBytes(&tensor.offset, sizeof tensor.offset);
    }
    pad();
    m_position = 0; // from here on: offsets within the data section
}

void GgufWriter::writeTensor(std::span<const std::byte> data)
{
    if (!m_file) throw Error("GGUF data written before beginData()");
    if (m_nextTensor >= m_tensors.size()) throw Error("more GGUF tensors written than declared");
    const TensorInfo& tensor = m_tensors[m_nextTensor];
    if (data.size() != tensor.bytes)
        throw Error("GGUF tensor '" + tensor.name + "': " + std::to_string(data.size()) +
                    " bytes, expected " + std::to_string(tensor.bytes));
    writeBytes(data.data(), data.size()); // the caller names the tensor in errors
    pad();
    ++m_nextTensor;
}

uint64_t GgufWriter::finish()
{
    if (m_nextTensor != m_tensors.size())
        throw Error("GGUF file " + m_target.string() + ": " + std::to_string(m_nextTensor) +
                    " of " + std::to_string(m_tensors.size()) + " tensors written");
    errno = 0;
    if (std::fflush(m_file) != 0) fail("write failed");
    if (::fsync(::fileno(m_file)) != 0) fail("fsync failed");
    const int closed = std::fclose(m_file);
    m_file = nullptr;
    if (closed != 0) fail("close failed");
    const uint64_t bytes = fs::file_size(m_temporary);
    fs::rename(m_temporary, m_target);
    m_finished = true;
    return bytes;
}

} // namespace rlhf::model
