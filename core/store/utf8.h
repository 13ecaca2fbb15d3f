// UTF-8 validation for imported text: well-formed sequences only (no overlong forms, no
// surrogates, nothing above U+10FFFF), as the Unicode standard and RFC 3629 define them.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace rlhf::store {

// The offset of the first byte that does not start or continue a well-formed sequence
// (for a truncated sequence, the offset where it started); nullopt when `text` is valid.
std::optional<size_t> findInvalidUtf8(std::string_view text);

} // namespace rlhf::store
