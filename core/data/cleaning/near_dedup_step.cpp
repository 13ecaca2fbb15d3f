// The near-dedup step: MinHash signature of the record's normalised text, LSH over bands of
// it to find candidate earlier records, and each candidate verified by the estimated Jaccard
// of the two signatures >= threshold. A record with a verified candidate is removed as a
// duplicate of the most similar one; otherwise it is indexed. Memory per kept record: the
// signature's low bytes (1 per permutation, b-bit MinHash), its id, and one 8-byte slot per
// band: 128 + 8 + ~42 x 8 / load bytes at the defaults, where full signatures and 16-byte
// slots took ~1.7 KB.
#include "core/data/cleaning/band_index.h"
#include "core/data/cleaning/minhash.h"
#include "core/data/cleaning/step.h"
#include "core/data/cleaning/text_utils.h"
#include "core/util/error.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>

namespace rlhf::data::cleaning {

namespace {

class NearDedupStep final : public Step {
public:
    explicit NearDedupStep(const StepConfig& config)
        : m_hasher(config.permutations, config.shingleWords), m_threshold(config.jaccardThreshold),
          m_shape(chooseLshShape(config.jaccardThreshold, config.permutations))
    {
    }

    Outcome apply(Record& record, int64_t id, Verdict& verdict) override
    {
        if (record.kind == RecordKind::Text) {
            normaliseForDedup(record.text, m_normalised);
        } else {
            normaliseForDedup(joinedText(record), m_normalised);
        }
        m_hasher.signature(m_normalised, m_signature);
        const size_t perms = m_signature.size();
        const size_t rows = static_cast<size_t>(m_shape.rows);

        int64_t best = -1;
        size_t bestEqual = 0;
        m_checked.clear();
        for (int band = 0; band < m_shape.bands; ++band) {
            m_bandKeys[band] = bandKey(band, rows);
            m_buckets.forEach(m_bandKeys[band], [&](uint32_t index) {
                for (int64_t seen : m_checked)
                    if (seen == index) return;
                m_checked.push_back(index);
                const uint8_t* other = m_signatures.data() + static_cast<size_t>(index) * perms;
                size_t equal = 0;
                for (size_t i = 0; i < perms; ++i)
                    equal += other[i] == static_cast<uint8_t>(m_signature[i]);
                if (equal > bestEqual) {
                    bestEqual = equal;
                    best = index;
                }
            });
        }
        const double jaccard = jaccardOfLowBytes(bestEqual, perms);
        if (best >= 0 && jaccard >= m_threshold) {
            const int64_t original = m_ids[static_cast<size_t>(best)];
            char estimate[16];
            std::snprintf(estimate, sizeof estimate, "%.2f", jaccard);
            verdict.duplicateOf = original;
            verdict.reason = "near duplicate of record " + std::to_string(original) +
                             " (estimated Jaccard " + estimate + ")";
            return Outcome::Removed;
        }
        if (m_ids.size() >= UINT32_MAX) throw Error("near dedup indexes at most 2^32 records");
        const auto index = static_cast<uint32_t>(m_ids.size());
        m_ids.push_back(id);
        for (const uint32_t value : m_signature)
            m_signatures.push_back(static_cast<uint8_t>(value));
        for (int band = 0; band < m_shape.bands; ++band)
            m_buckets.insert(m_bandKeys[band], index);
        return Outcome::Unchanged;
    }

    bool remembers() const override { return true; }
    size_t indexBytes() const override
    {
        return m_signatures.capacity() + m_ids.capacity() * sizeof(int64_t) + m_buckets.bytes();
    }

private:
    // Jaccard estimated from `equal` of `perms` low bytes: two different minima still share
    // their low byte by chance 1 time in 256, so P(equal) = J + (1 - J) / 256 (Li and Konig's
    // b-bit MinHash with b = 8), solved for J.
    static double jaccardOfLowBytes(size_t equal, size_t perms)
    {
        constexpr double chance = 1.0 / 256;
        const double share = static_cast<double>(equal) / static_cast<double>(perms);
        return std::max(0.0, (share - chance) / (1 - chance));
    }

    // The bucket of `band`: its rows hashed, seeded by the band number so that equal values
    // in different bands do not meet.
    uint64_t bandKey(int band, size_t rows) const
    {
        return XXH3_64bits_withSeed(m_signature.data() + static_cast<size_t>(band) * rows,
                                    rows * sizeof(uint32_t), static_cast<uint64_t>(band));
    }

    MinHasher m_hasher;
    double m_threshold;
    LshShape m_shape;
    BandIndex m_buckets;               // band key -> index of a kept record
    std::vector<uint8_t> m_signatures; // kept records' signatures' low bytes, back to back
    std::vector<int64_t> m_ids;        // kept records' ids, by index
    // Reused per record, so the steady state allocates nothing.
    std::string m_normalised;
    std::vector<uint32_t> m_signature;
    std::vector<uint64_t> m_bandKeys = std::vector<uint64_t>(static_cast<size_t>(m_shape.bands));
    std::vector<int64_t> m_checked;
};

} // namespace

std::unique_ptr<Step> makeNearDedupStep(const StepConfig& config)
{
    if (config.permutations < 1 || config.permutations > 1024)
        throw Error("permutations must be between 1 and 1024, got " +
                    std::to_string(config.permutations));
    if (config.shingleWords < 1) throw Error("shingle_words must be >= 1");
    if (!(config.jaccardThreshold > 0 && config.jaccardThreshold <= 1))
        throw Error("threshold must be in (0, 1]");
    return std::make_unique<NearDedupStep>(config);
}

} // namespace rlhf::data::cleaning
