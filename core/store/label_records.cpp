// Enum <-> stored word conversions of the human-judgment records (label_records.h).
#include "core/store/label_records.h"

#include "core/util/error.h"

#include <array>
#include <string>
#include <utility>

namespace rlhf::store {

namespace {

constexpr std::array<std::pair<Judgment, std::string_view>, 4> judgmentWords{{
    {Judgment::A, "a"},
    {Judgment::B, "b"},
    {Judgment::Tie, "tie"},
    {Judgment::BothBad, "both_bad"},
}};

constexpr std::array<std::pair<ItemSource, std::string_view>, 3> itemSourceWords{{
    {ItemSource::Import, "import"},
    {ItemSource::Sampled, "sampled"},
    {ItemSource::Arena, "arena"},
}};

template <typename Table, typename Enum> std::string_view wordOf(const Table& table, Enum value)
{
    for (const auto& [entry, word] : table) {
        if (entry == value) return word;
    }
    return "?";
}

template <typename Table>
auto parseWord(const Table& table, std::string_view word, const char* what)
{
    for (const auto& [entry, candidate] : table) {
        if (candidate == word) return entry;
    }
    throw Error("unknown " + std::string(what) + " '" + std::string(word) + "'");
}

} // namespace

std::string_view judgmentName(Judgment judgment)
{
    return wordOf(judgmentWords, judgment);
}

std::string_view itemSourceName(ItemSource source)
{
    return wordOf(itemSourceWords, source);
}

Judgment parseJudgment(std::string_view word)
{
    return parseWord(judgmentWords, word, "judgment");
}

ItemSource parseItemSource(std::string_view word)
{
    return parseWord(itemSourceWords, word, "item source");
}

} // namespace rlhf::store
