// MinHash signatures and the LSH shape. The shingle hash is XXH3-64 of the shingle's bytes,
// already uniform, so one cheap multiply-add-shift per permutation gives the independent
// hash functions MinHash needs without hashing each shingle `permutations` times.
#include "core/data/cleaning/minhash.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace rlhf::data::cleaning {

namespace {

uint64_t splitMix64(uint64_t& state)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

constexpr uint64_t kSeed = 0x6D696E68617368ULL; // fixed: signatures must match across runs

} // namespace

MinHasher::MinHasher(int permutations, int shingleWords) : m_shingleWords(shingleWords)
{
    uint64_t state = kSeed;
    for (int i = 0; i < permutations; ++i) {
        m_a.push_back(splitMix64(state) | 1);
        m_b.push_back(splitMix64(state));
    }
}

void MinHasher::signature(std::string_view text, std::vector<uint32_t>& out)
{
    m_wordStarts.clear();
    for (size_t i = 0; i < text.size(); ++i)
        if (text[i] != ' ' && (i == 0 || text[i - 1] == ' ')) m_wordStarts.push_back(i);
    m_shingles.clear();
    const size_t k = static_cast<size_t>(m_shingleWords);
    if (m_wordStarts.size() <= k) {
        m_shingles.push_back(XXH3_64bits(text.data(), text.size()));
    } else {
        for (size_t w = 0; w + k <= m_wordStarts.size(); ++w) {
            const size_t begin = m_wordStarts[w];
            const size_t end = w + k < m_wordStarts.size() ? m_wordStarts[w + k] - 1 : text.size();
            m_shingles.push_back(XXH3_64bits(text.data() + begin, end - begin));
        }
    }
    const size_t n = m_a.size();
    out.assign(n, std::numeric_limits<uint32_t>::max());
    uint32_t* mins = out.data();
    const uint64_t* a = m_a.data();
    const uint64_t* b = m_b.data();
    for (const uint64_t x : m_shingles)
        for (size_t i = 0; i < n; ++i) // vectorises: no dependence between i
            mins[i] = std::min(mins[i], static_cast<uint32_t>((a[i] * x + b[i]) >> 32));
}

double candidateProbability(double jaccard, LshShape shape)
{
    return 1.0 - std::pow(1.0 - std::pow(jaccard, shape.rows), shape.bands);
}

LshShape chooseLshShape(double threshold, int permutations)
{
    constexpr double kRecallAtThreshold = 0.995;
    LshShape best{permutations, 1};
    for (int rows = 1; rows <= permutations; ++rows) {
        const LshShape shape{permutations / rows, rows};
        if (candidateProbability(threshold, shape) >= kRecallAtThreshold) best = shape;
    }
    return best;
}

} // namespace rlhf::data::cleaning
