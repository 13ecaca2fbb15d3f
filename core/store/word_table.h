// The enum <-> stored word tables of the record files (records.cpp, label_records.cpp): a
// constexpr array of (value, word) pairs, looked up both ways. Internal to core/store.
#pragma once

#include "core/util/error.h"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace rlhf::store {

template <typename Enum, size_t Count>
using WordTable = std::array<std::pair<Enum, std::string_view>, Count>;

// The word stored for `value`; "?" for a value the table lacks.
template <typename Enum, size_t Count>
std::string_view wordOf(const WordTable<Enum, Count>& table, Enum value)
{
    for (const auto& [entry, word] : table) {
        if (entry == value) return word;
    }
    return "?";
}

// The value stored as `word`; throws rlhf::Error "unknown <what> '<word>'".
template <typename Enum, size_t Count>
Enum parseWord(const WordTable<Enum, Count>& table, std::string_view word, const char* what)
{
    for (const auto& [entry, candidate] : table) {
        if (candidate == word) return entry;
    }
    throw Error("unknown " + std::string(what) + " '" + std::string(word) + "'");
}

} // namespace rlhf::store
