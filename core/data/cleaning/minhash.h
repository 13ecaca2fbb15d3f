// MinHash signatures over word shingles, and the LSH banding chosen for a Jaccard threshold:
// the arithmetic of near-duplicate detection, kept apart from the step that indexes records.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace rlhf::data::cleaning {

class MinHasher {
public:
    // `permutations` hash functions h_i(x) = (a_i * x + b_i) >> 32 over the 64-bit hash x of
    // each shingle (multiply-add-shift, a universal family; a_i odd), drawn from a fixed seed
    // so that signatures agree across runs.
    MinHasher(int permutations, int shingleWords);

    // The signature of `normalised` (words separated by single spaces, as normaliseForDedup
    // writes them) into `out`. A text shorter than one shingle is one shingle as a whole.
    void signature(std::string_view normalised, std::vector<uint32_t>& out);

    int permutations() const { return static_cast<int>(m_a.size()); }

private:
    std::vector<uint64_t> m_a, m_b;
    int m_shingleWords;
    std::vector<uint64_t> m_shingles; // reused: the shingle hashes of one text
    std::vector<size_t> m_wordStarts; // reused
};

// LSH banding: a pair with Jaccard s becomes a candidate with probability 1 - (1 - s^rows)^bands.
struct LshShape {
    int bands = 1;
    int rows = 1;
};

// The most rows per band (fewest chance candidates, least verification) that still makes a
// pair at exactly `threshold` a candidate with probability >= 0.995, using bands = perms/rows.
LshShape chooseLshShape(double threshold, int permutations);
double candidateProbability(double jaccard, LshShape shape);

} // namespace rlhf::data::cleaning
