// The train / val / test split by hash: XXH3-64 (seeded) of the record's normalised text,
// mapped to [0, 1) and cut at valFraction and valFraction + testFraction. Hashing the same
// normal form as exact dedup is what keeps duplicates on one side of every split.
#include "core/data/cleaning/cleaning.h"
#include "core/data/cleaning/text_utils.h"
#include "core/util/error.h"

#include <xxhash.h>

namespace rlhf::data {

std::string_view splitName(Split split)
{
    switch (split) {
    case Split::Train:
        return "train";
    case Split::Val:
        return "val";
    case Split::Test:
        return "test";
    }
    return "train";
}

Split parseSplit(std::string_view word)
{
    if (word == "train") return Split::Train;
    if (word == "val") return Split::Val;
    if (word == "test") return Split::Test;
    throw Error("unknown split '" + std::string(word) + "' (expected train, val or test)");
}

Split assignSplit(const Record& record, const SplitConfig& config)
{
    thread_local std::string normalised;
    if (record.kind == RecordKind::Text) {
        cleaning::normaliseForDedup(record.text, normalised);
    } else {
        cleaning::normaliseForDedup(joinedText(record), normalised);
    }
    const uint64_t hash = XXH3_64bits_withSeed(normalised.data(), normalised.size(), config.seed);
    const double unit = static_cast<double>(hash >> 11) * 0x1.0p-53; // 53 bits -> [0, 1)
    if (unit < config.valFraction) return Split::Val;
    if (unit < config.valFraction + config.testFraction) return Split::Test;
    return Split::Train;
}

} // namespace rlhf::data
