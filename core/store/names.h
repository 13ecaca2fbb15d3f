// The names a user gives datasets, tokenizers and models. Some become file names in the project
// folder (tokenizers/<name>.json, tokens/<dataset>-<tokenizer>-train.u32, adapters/<name>/), so
// one rule, checked where each is recorded, keeps every such file inside the project: no path
// separators, no "." or "..", no control characters, no blanks at either end, at most 128 bytes.
// Any other character, any script, is a name's own.
#pragma once

#include <string>
#include <string_view>

namespace rlhf::store {

inline constexpr size_t maxNameBytes = 128;

// Throws rlhf::Error "<what> name '<name>': <why>" when `name` breaks the rule above.
void checkName(std::string_view what, std::string_view name);

// `name` as a file name: itself when it is made of [A-Za-z0-9._-] only, else those characters
// kept, every other byte '_', and a hash of the whole name after '~', so that names differing
// only in the replaced characters ("a b", "a/b", "a_b") never share a file.
std::string fileNameOf(std::string_view name);

} // namespace rlhf::store
