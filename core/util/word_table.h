// The one enum <-> word table of the project: a constexpr array of (value, word) pairs, looked up
// both ways, for every enumerated word stored or read (record kinds in the database, stage names,
// precision and the other enumerated fields of stage documents). Header-only; no Qt, no torch.
#pragma once

#include "core/util/error.h"

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rlhf {

template <typename Enum, size_t Count>
using WordTable = std::array<std::pair<Enum, std::string_view>, Count>;

// The word for `value`; "?" for a value the table lacks.
template <typename Enum, size_t Count>
std::string_view wordOf(const WordTable<Enum, Count>& table, Enum value)
{
    for (const auto& [entry, word] : table) {
        if (entry == value) return word;
    }
    return "?";
}

// The value written as `word`, if the table has it.
template <typename Enum, size_t Count>
std::optional<Enum> findWord(const WordTable<Enum, Count>& table, std::string_view word)
{
    for (const auto& [entry, candidate] : table) {
        if (candidate == word) return entry;
    }
    return std::nullopt;
}

// The value written as `word`; throws rlhf::Error "unknown <what> '<word>'".
template <typename Enum, size_t Count>
Enum parseWord(const WordTable<Enum, Count>& table, std::string_view word, const char* what)
{
    if (const auto value = findWord(table, word)) return *value;
    throw Error("unknown " + std::string(what) + " '" + std::string(word) + "'");
}

// The table's words for a message, in table order: "auto, fp32 or bf16".
template <typename Enum, size_t Count> std::string wordList(const WordTable<Enum, Count>& table)
{
    std::string list;
    for (size_t index = 0; index < Count; ++index) {
        if (index > 0) list += index + 1 == Count ? " or " : ", ";
        list += table[index].second;
    }
    return list;
}

} // namespace rlhf
