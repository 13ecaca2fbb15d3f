// safetensors: dtype table, the writer (header JSON + padded length + data, atomically) and
// the validating reader over a memory-mapped file.
#include "core/model/safetensors.h"

#include "core/util/atomic_file.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <set>

namespace rlhf::model {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and is passed through unconverted");

namespace {

using Json = nlohmann::json;

struct DTypeInfo {
    DType dtype;
    std::string_view name;
    size_t size;
};

constexpr std::array<DTypeInfo, 15> dtypeTable{{
    {DType::Bool, "BOOL", 1},
    {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},
    {DType::F8E5M2, "F8_E5M2", 1},
    {DType::F8E4M3, "F8_E4M3", 1},
    {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},
    {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},
}};

constexpr std::string_view metadataKey = "__metadata__";

std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) text += ", ";
        text += std::to_string(shape[i]);
    }
    return text + "]";
}

std::string offsetsText(uint64_t begin, uint64_t end)
{
    return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// A half-open byte range: "[16, 20)".
std::string rangeText(uint64_t begin, uint64_t end)
{
    return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

std::string tensorContext(std::string_view name)
{
    return "tensor '" + std::string(name) + "'";
}

// product(shape) * dtypeSize, or nullopt when it overflows 64 bits.
std::optional<uint64_t> byteCount(const std::vector<int64_t>& shape, DType dtype)
{
    uint64_t count = dtypeSize(dtype);
    for (const int64_t extent : shape) {
        if (__builtin_mul_overflow(count, static_cast<uint64_t>(extent), &count)) {
            return std::nullopt;
        }
    }
    return count;
}

void checkTensorToWrite(const TensorBytes& tensor)
{
    if (tensor.name == metadataKey) throw Error("the name __metadata__ is reserved");
    if (std::any_of(tensor.shape.begin(), tensor.shape.end(), [](int64_t e) { return e < 0; })) {
        throw Error("shape " + shapeText(tensor.shape) + " has a negative extent");
    }
    const std::optional<uint64_t> needed = byteCount(tensor.shape, tensor.dtype);
    if (!needed || *needed != tensor.bytes.size()) {
        throw Error(std::to_string(tensor.bytes.size()) + " bytes given, shape " +
                    shapeText(tensor.shape) + " " + std::string(dtypeName(tensor.dtype)) +
                    " needs " + (needed ? std::to_string(*needed) : "more than 2^64"));
    }
}

// The order of the data buffer: wider dtypes first, then by name (as the reference writer).
std::vector<const TensorBytes*> dataOrder(std::span<const TensorBytes> tensors)
{
    std::vector<const TensorBytes*> order;
    for (const TensorBytes& tensor : tensors)
        order.push_back(&tensor);
    std::sort(order.begin(), order.end(), [](const TensorBytes* left, const TensorBytes* right) {
        if (left->dtype != right->dtype) return left->dtype > right->dtype;
        return left->name < right->name;
    });
    return order;
}

// Reads a JSON value that must be an integer in [0, INT64_MAX].
std::optional<uint64_t> nonNegative(const Json& value)
{
    if (!value.is_number_unsigned()) return std::nullopt;
    const uint64_t number = value.get<uint64_t>();
    if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return number;
}

} // namespace

std::string_view dtypeName(DType dtype)
{
    for (const DTypeInfo& info : dtypeTable) {
        if (info.dtype == dtype) return info.name;
    }
    return "?";
}

std::optional<DType> parseDType(std::string_view name)
{
    for (const DTypeInfo& info : dtypeTable) {
        if (info.name == name) return info.dtype;
    }
    return std::nullopt;
}

size_t dtypeSize(DType dtype)
{
    for (const DTypeInfo& info : dtypeTable) {
        if (info.dtype == dtype) return info.size;
    }
    return 0;
}

int64_t TensorView::elementCount() const
{
    int64_t count = 1;
    for (const int64_t extent : shape)
        count *= extent;
    return count;
}

void writeSafetensors(const std::filesystem::path& file, std::span<const TensorBytes> tensors,
                      const SafetensorsMetadata& metadata)
{
    withContext("writing " + file.string(), [&] {
        std::set<std::string_view> names;
        for (const TensorBytes& tensor : tensors) {
            withContext(tensorContext(tensor.name), [&] { checkTensorToWrite(tensor); });
            if (!names.insert(tensor.name).second) {
                throw Error(tensorContext(tensor.name) + ": name appears twice");
            }
        }
        const std::vector<const TensorBytes*> order = dataOrder(tensors);
        Json header = Json::object(); // nlohmann keeps keys sorted
        if (!metadata.empty()) header[metadataKey] = metadata;
        uint64_t offset = 0;
        for (const TensorBytes* tensor : order) {
            const uint64_t end = offset + tensor->bytes.size();
            header[tensor->name] = {{"dtype", dtypeName(tensor->dtype)},
                                    {"shape", tensor->shape},
                                    {"data_offsets", {offset, end}}};
            offset = end;
        }
        std::string headerText = header.dump();
        headerText.append((8 - headerText.size() % 8) % 8, ' '); // data starts 8-byte aligned
        const uint64_t headerLength = headerText.size();

        AtomicFile out(file);
        out.write(std::as_bytes(std::span(&headerLength, 1)));
        out.write(std::as_bytes(std::span(headerText)));
        for (const TensorBytes* tensor : order)
            out.write(tensor->bytes);
        out.commit();
    });
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& file) : m_file(file)
{
    withContext(file.string(), [&] {
        const std::span<const std::byte> bytes = m_file.bytes();
        if (bytes.size() < 8) {
            throw Error("file is " + std::to_string(bytes.size()) +
                        " bytes, too short for the 8-byte header length");
        }
        uint64_t headerLength = 0;
        std::memcpy(&headerLength, bytes.data(), sizeof headerLength);
        const uint64_t available = bytes.size() - 8;
        if (headerLength > available) {
            throw Error("header length " + std::to_string(headerLength) + " exceeds the " +
                        std::to_string(available) + " bytes after it (truncated file?)");
        }
        if (headerLength > maxHeaderBytes) {
            throw Error("header length " + std::to_string(headerLength) + " exceeds the limit of " +
                        std::to_string(maxHeaderBytes) + " bytes");
        }
        const std::string_view header(reinterpret_cast<const char*>(bytes.data()) + 8,
                                      headerLength);
        m_data = bytes.subspan(8 + headerLength);
        parseHeader(header, m_data.size());
    });
}

namespace {

SafetensorsMetadata parseMetadata(const Json& value)
{
    if (!value.is_object()) throw Error("__metadata__ is not a JSON object");
    SafetensorsMetadata metadata;
    for (const auto& [key, entry] : value.items()) {
        if (!entry.is_string()) {
            throw Error("__metadata__ value of '" + key + "' is " + entry.type_name() +
                        ", expected a string");
        }
        metadata.emplace(key, entry.get<std::string>());
    }
    return metadata;
}

std::vector<int64_t> parseShape(const Json& value)
{
    if (!value.is_array()) throw Error("shape is not an array");
    std::vector<int64_t> shape;
    for (const Json& extent : value) {
        const std::optional<uint64_t> number = nonNegative(extent);
        if (!number) throw Error("shape " + value.dump() + " is not all non-negative integers");
        shape.push_back(static_cast<int64_t>(*number));
    }
    return shape;
}

struct EntryFields {
    DType dtype;
    std::vector<int64_t> shape;
    uint64_t begin;
    uint64_t end;
};

// One tensor's header entry, checked against itself and the data buffer's size.
EntryFields parseEntry(const Json& value, uint64_t dataSize)
{
    if (!value.is_object()) throw Error("entry is not a JSON object");
    const auto dtypeField = value.find("dtype");
    if (dtypeField == value.end() || !dtypeField->is_string()) {
        throw Error("missing string field 'dtype'");
    }
    const std::string dtypeText = dtypeField->get<std::string>();
    const std::optional<DType> dtype = parseDType(dtypeText);
    if (!dtype) throw Error("unknown dtype '" + dtypeText + "'");
    const auto shapeField = value.find("shape");
    if (shapeField == value.end()) throw Error("missing field 'shape'");
    std::vector<int64_t> shape = parseShape(*shapeField);

    const auto offsets = value.find("data_offsets");
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
        !nonNegative((*offsets)[0]) || !nonNegative((*offsets)[1])) {
        throw Error("data_offsets must be [begin, end] with non-negative integers");
    }
    const uint64_t begin = *nonNegative((*offsets)[0]);
    const uint64_t end = *nonNegative((*offsets)[1]);
    if (begin > end || end > dataSize) {
        throw Error("data_offsets " + offsetsText(begin, end) + " outside the " +
                    std::to_string(dataSize) + "-byte data buffer");
    }
    const std::optional<uint64_t> needed = byteCount(shape, *dtype);
    if (!needed || *needed != end - begin) {
        throw Error("data_offsets " + offsetsText(begin, end) + " span " +
                    std::to_string(end - begin) + " bytes, shape " + shapeText(shape) + " " +
                    dtypeText + " needs " + (needed ? std::to_string(*needed) : "more than 2^64"));
    }
    return {*dtype, std::move(shape), begin, end};
}

} // namespace

void SafetensorsFile::parseHeader(std::string_view header, uint64_t dataSize)
{
    Json root;
    try {
        root = Json::parse(header);
    } catch (const Json::parse_error& error) {
        std::string_view message = error.what();
        if (const size_t end = message.find("] "); end != message.npos) {
            message.remove_prefix(end + 2); // drop "[json.exception.parse_error.101] "
        }
        throw Error("header is not valid JSON: " + std::string(message));
    }
    if (!root.is_object()) throw Error("header is not a JSON object");

    for (const auto& [name, value] : root.items()) {
        if (name == metadataKey) {
            m_metadata = parseMetadata(value);
            continue;
        }
        EntryFields fields =
            withContext(tensorContext(name), [&] { return parseEntry(value, dataSize); });
        m_entries.emplace(name,
                          Entry{fields.dtype, std::move(fields.shape), fields.begin, fields.end});
    }
    checkCoverage(dataSize);
}

void SafetensorsFile::checkCoverage(uint64_t dataSize) const
{
    std::vector<std::pair<const std::string*, const Entry*>> byOffset;
    for (const auto& [name, entry] : m_entries)
        byOffset.emplace_back(&name, &entry);
    std::sort(byOffset.begin(), byOffset.end(), [](const auto& left, const auto& right) {
        return std::pair(left.second->begin, left.second->end) <
               std::pair(right.second->begin, right.second->end);
    });
    uint64_t covered = 0;                  // end of the tensors checked so far
    const std::string* previous = nullptr; // the tensor that ends at `covered`
    for (const auto& [name, entry] : byOffset) {
        const std::string where =
            tensorContext(*name) + ": data_offsets " + offsetsText(entry->begin, entry->end);
        if (entry->begin < covered) {
            throw Error(where + " overlap " + tensorContext(*previous) + " ending at " +
                        std::to_string(covered));
        }
        if (entry->begin > covered) {
            throw Error(where + " leave bytes " + rangeText(covered, entry->begin) + " unused" +
                        (previous ? " after " + tensorContext(*previous) : ""));
        }
        covered = entry->end;
        previous = name;
    }
    if (covered != dataSize) {
        throw Error("data buffer is " + std::to_string(dataSize) + " bytes but the tensors cover " +
                    std::to_string(covered) + ": bytes " + rangeText(covered, dataSize) +
                    " unused");
    }
}

std::vector<std::string> SafetensorsFile::names() const
{
    std::vector<std::string> result;
    result.reserve(m_entries.size());
    for (const auto& [name, entry] : m_entries)
        result.push_back(name);
    return result;
}

bool SafetensorsFile::contains(std::string_view name) const
{
    return m_entries.find(name) != m_entries.end();
}

TensorView SafetensorsFile::tensor(std::string_view name) const
{
    const auto found = m_entries.find(name);
    if (found == m_entries.end()) {
        throw Error(path().string() + ": no " + tensorContext(name));
    }
    const Entry& entry = found->second;
    return {entry.dtype, entry.shape, m_data.subspan(entry.begin, entry.end - entry.begin)};
}

} // namespace rlhf::model
