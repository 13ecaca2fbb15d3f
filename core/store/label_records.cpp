// Enum <-> stored word conversions of the human-judgment records (label_records.h).
#include "core/store/label_records.h"

#include "core/util/word_table.h"

namespace rlhf::store {

namespace {

constexpr WordTable<Judgment, 4> judgmentWords{{
    {Judgment::A, "a"},
    {Judgment::B, "b"},
    {Judgment::Tie, "tie"},
    {Judgment::BothBad, "both_bad"},
}};

constexpr WordTable<ItemSource, 3> itemSourceWords{{
    {ItemSource::Import, "import"},
    {ItemSource::Sampled, "sampled"},
    {ItemSource::Arena, "arena"},
}};

constexpr WordTable<Rating, 2> ratingWords{{
    {Rating::Up, "up"},
    {Rating::Down, "down"},
}};

} // namespace

std::string_view judgmentName(Judgment judgment)
{
    return wordOf(judgmentWords, judgment);
}

std::string_view itemSourceName(ItemSource source)
{
    return wordOf(itemSourceWords, source);
}

std::string_view ratingName(Rating rating)
{
    return wordOf(ratingWords, rating);
}

Judgment parseJudgment(std::string_view word)
{
    return parseWord(judgmentWords, word, "judgment");
}

ItemSource parseItemSource(std::string_view word)
{
    return parseWord(itemSourceWords, word, "item source");
}

Rating parseRating(std::string_view word)
{
    return parseWord(ratingWords, word, "rating");
}

} // namespace rlhf::store
