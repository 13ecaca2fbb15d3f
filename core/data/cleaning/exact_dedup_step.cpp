// The exact-dedup step: XXH3-64 of the record's normalised text (NFKC, casefolded, whitespace
// collapsed: see text_utils.h), remembered with the id of the first record that had it; later
// records with the same hash are removed as duplicates of that one.
#include "core/data/cleaning/hash_id_table.h"
#include "core/data/cleaning/step.h"
#include "core/data/cleaning/text_utils.h"

#include <xxhash.h>

namespace rlhf::data::cleaning {

namespace {

class ExactDedupStep final : public Step {
public:
    Outcome apply(Record& record, int64_t id, Verdict& verdict) override
    {
        if (record.kind == RecordKind::Text) {
            normaliseForDedup(record.text, m_normalised);
        } else {
            normaliseForDedup(joinedText(record), m_normalised);
        }
        const uint64_t hash = XXH3_64bits(m_normalised.data(), m_normalised.size());
        const std::optional<int64_t> first = m_table.findOrInsert(hash, id);
        if (!first) return Outcome::Unchanged;
        verdict.duplicateOf = *first;
        verdict.reason = "exact duplicate of record " + std::to_string(*first);
        return Outcome::Removed;
    }
    bool remembers() const override { return true; }
    size_t indexBytes() const override { return m_table.bytes(); }

private:
    HashIdTable m_table;
    std::string m_normalised; // reused across records
};

} // namespace

std::unique_ptr<Step> makeExactDedupStep()
{
    return std::make_unique<ExactDedupStep>();
}

} // namespace rlhf::data::cleaning
