// One JSON row (a JSONL line or a JSON array element) parsed with simdjson's On Demand API
// straight from the reader's padded buffer: the fields a record shape needs, or every field
// as a string for the preview. No copy of the row is made.
#pragma once

#include "core/data/readers/record_shapes.h"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace rlhf::data {

// The bytes of one row; [data, readableEnd) must be readable (kBufferPadding past the row).
struct JsonRowBytes {
    const char* data = nullptr;
    size_t size = 0;
    const char* readableEnd = nullptr;
};

// A simdjson On Demand parser kept from row to row (its buffers are reused). simdjson itself
// stays behind this class: its header is heavy to compile.
class JsonRowParser {
public:
    JsonRowParser();
    ~JsonRowParser();

    // Fills `fields` from the row, which must be one JSON object. False on a problem: a
    // row-level one (invalid JSON or UTF-8, not an object: `problemField` is "") or one in a
    // field (`problemField` names it; `reason` says why).
    bool fields(const JsonRowBytes& row, RowFields& fields, std::string& problemField,
                std::string& reason);

    // Every top-level field: name and value (strings unescaped, anything else as JSON text).
    bool columns(const JsonRowBytes& row, std::vector<std::pair<std::string, std::string>>& columns,
                 std::string& reason);

    // The string fields named by `keys` into `values` (`found[i]` says whether key i was
    // there). A non-string value of a wanted key is a problem naming it.
    bool strings(const JsonRowBytes& row, std::span<const std::string_view> keys,
                 std::span<std::string> values, std::span<bool> found, std::string& problemField,
                 std::string& reason);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Whether the row is blank (whitespace only): such JSONL lines are skipped, not problems.
bool isBlank(std::string_view row);

} // namespace rlhf::data
