// Small UTF-8 helpers shared by the cleaning steps: ASCII detection, code point counting and
// encoding, and the normalised form (NFKC, casefolded, whitespace collapsed) that exact dedup,
// near dedup and the split hash all look at, so that they agree on what "the same text" is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rlhf::data::cleaning {

// True when every byte is < 0x80. Checks 64 bytes a round: this is the fast path of the
// default steps on the mostly-ASCII text they usually see.
bool isAscii(std::string_view text);

// The index of the first byte >= 0x80 at or after `from`, or the size: 64 bytes a round.
size_t firstNonAscii(std::string_view text, size_t from);

// Code points in valid UTF-8 (bytes that are not continuation bytes).
int64_t countCodePoints(std::string_view text);

// NFKC + casefold (utf8proc) and whitespace runs collapsed to one space, trimmed, into `out`
// (cleared first). Invalid UTF-8 is normalised as if it had been repaired first.
void normaliseForDedup(std::string_view text, std::string& out);

// Unicode NFKC (and, with `casefold`, NFKC_Casefold) of valid UTF-8 into `out` (cleared
// first); false, with `out` unspecified, when utf8proc rejects the input as invalid UTF-8.
bool nfkc(std::string_view text, std::string& out, bool casefold = false);

} // namespace rlhf::data::cleaning

namespace rlhf::data::cleaning {

// Byte offset of the first invalid UTF-8 sequence, or npos when `text` is valid.
size_t firstInvalidUtf8(std::string_view text);

// Copies `text` into `out` (cleared first) with each invalid sequence replaced by U+FFFD, one
// per "maximal subpart" as WHATWG's decoder (and Python's "replace") does it.
void repairUtf8(std::string_view text, std::string& out);

} // namespace rlhf::data::cleaning
