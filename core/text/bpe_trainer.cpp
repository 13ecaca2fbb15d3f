// BPE training (see bpe_trainer.h). Word counting is a hash map word -> count; merging keeps
// pair -> count and pair -> words containing it, updated around each merge only, and a max-heap
// of pairs with lazy invalidation: a popped entry whose count is stale is pushed back with the
// current count. O(words touched by the merge) per merge, not O(corpus).

#include "core/text/bpe_trainer.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <queue>

#include "core/text/byte_level.h"
#include "core/text/utf8.h"
#include "core/util/error.h"

namespace rlhf::text {

namespace {

using PairKey = std::uint64_t; // (left id << 32) | right id: numeric order = (left, right) order

PairKey pairKey(std::uint32_t left, std::uint32_t right)
{
    return (static_cast<PairKey>(left) << 32) | right;
}

struct Word {
    std::vector<std::uint32_t> symbols; // token ids, bytes at first
    std::int64_t count = 0;             // occurrences in the corpus
};

struct QueueEntry {
    std::int64_t count;
    PairKey pair;
};

// Priority: higher count first; equal counts: smaller (left, right) first.
struct LowerPriority {
    bool operator()(const QueueEntry& a, const QueueEntry& b) const
    {
        return a.count != b.count ? a.count < b.count : a.pair > b.pair;
    }
};

class MergeState {
public:
    explicit MergeState(std::vector<Word> words) : m_words(std::move(words))
    {
        for (std::uint32_t index = 0; index < m_words.size(); ++index) {
            const Word& word = m_words[index];
            for (std::size_t at = 0; at + 1 < word.symbols.size(); ++at)
                add(pairKey(word.symbols[at], word.symbols[at + 1]), word.count, index);
        }
        for (const auto& [pair, count] : m_counts)
            m_queue.push({count, pair});
        m_added.clear();
    }

    // The most frequent pair, or std::nullopt when the best is below `minFrequency`.
    std::optional<PairKey> popBest(std::int64_t minFrequency)
    {
        while (!m_queue.empty()) {
            const QueueEntry top = m_queue.top();
            m_queue.pop();
            const auto found = m_counts.find(top.pair);
            const std::int64_t current = found == m_counts.end() ? 0 : found->second;
            if (current == top.count)
                return current >= minFrequency ? std::optional<PairKey>(top.pair) : std::nullopt;
            if (current > 0 && current < top.count)
                m_queue.push({current, top.pair}); // went down since queued
            // current > top.count: a fresher entry was queued when it went up; drop this one.
        }
        return std::nullopt;
    }

    // Replaces every occurrence of `pair` in every word by `joined`, left to right.
    void merge(PairKey pair, std::uint32_t joined)
    {
        auto node = m_where.extract(pair);
        m_counts.erase(pair);
        if (node.empty()) return;
        m_merging = pair;
        const auto a = static_cast<std::uint32_t>(pair >> 32);
        const auto b = static_cast<std::uint32_t>(pair);
        for (std::uint32_t index : node.mapped())
            mergeInWord(index, a, b, joined);
        std::sort(m_added.begin(), m_added.end());
        m_added.erase(std::unique(m_added.begin(), m_added.end()), m_added.end());
        for (PairKey added : m_added) {
            const auto found = m_counts.find(added);
            if (found != m_counts.end() && found->second > 0) m_queue.push({found->second, added});
        }
        m_added.clear();
    }

private:
    void mergeInWord(std::uint32_t index, std::uint32_t a, std::uint32_t b, std::uint32_t c)
    {
        std::vector<std::uint32_t>& s = m_words[index].symbols;
        const std::int64_t count = m_words[index].count;
        const std::size_t n = s.size();
        std::size_t out = 0;
        bool previousMerged = false; // s[out - 1] is a `c` made on the step before
        for (std::size_t at = 0; at < n;) {
            if (at + 1 < n && s[at] == a && s[at + 1] == b) {
                // Left neighbour: x a -> x c, or (after a merge just before) b a -> c c.
                if (out > 0) {
                    const std::uint32_t left = previousMerged ? b : s[out - 1];
                    add(pairKey(left, a), -count, index);
                    add(pairKey(s[out - 1], c), count, index);
                }
                // Right neighbour: b y -> c y, unless y starts the next merge, which handles it.
                if (at + 2 < n) {
                    const std::uint32_t y = s[at + 2];
                    const bool nextMerges = at + 3 < n && y == a && s[at + 3] == b;
                    if (!nextMerges) {
                        add(pairKey(b, y), -count, index);
                        add(pairKey(c, y), count, index);
                    }
                }
                s[out++] = c;
                at += 2;
                previousMerged = true;
            } else {
                s[out++] = s[at++];
                previousMerged = false;
            }
        }
        s.resize(out);
    }

    // Adds `delta` occurrences of `pair`, found in word `index`.
    void add(PairKey pair, std::int64_t delta, std::uint32_t index)
    {
        if (pair == m_merging) return; // being removed everywhere
        if (delta < 0) {
            const auto found = m_counts.find(pair);
            assert(found != m_counts.end()); // a pair of this word was counted
            found->second += delta;
            if (found->second == 0) {
                m_counts.erase(found);
                m_where.erase(pair);
            }
            return;
        }
        m_counts[pair] += delta;
        std::vector<std::uint32_t>& words = m_where[pair];
        if (words.empty() || words.back() != index) // words are visited in ascending order
            words.push_back(index);
        m_added.push_back(pair);
    }

    std::vector<Word> m_words;
    std::unordered_map<PairKey, std::int64_t> m_counts;              // pair -> occurrences
    std::unordered_map<PairKey, std::vector<std::uint32_t>> m_where; // pair -> words (superset)
    std::priority_queue<QueueEntry, std::vector<QueueEntry>, LowerPriority> m_queue;
    std::vector<PairKey> m_added; // pairs that went up during the current merge
    PairKey m_merging = ~PairKey(0);
};

std::vector<AddedToken> specialTokensOf(const TrainConfig& config)
{
    std::vector<AddedToken> tokens;
    for (std::size_t index = 0; index < config.specialTokens.size(); ++index) {
        AddedToken token;
        token.content = config.specialTokens[index];
        token.id = static_cast<std::uint32_t>(256 + index);
        tokens.push_back(std::move(token));
    }
    return tokens;
}

} // namespace

BpeTrainer::BpeTrainer(TrainConfig config)
    : m_config(std::move(config)), m_preTokenizer(PreTokenizerConfig::forFlavour(m_config.pattern)),
      m_specials(specialTokensOf(m_config))
{
    const std::size_t fixed = 256 + m_config.specialTokens.size();
    if (m_config.vocabSize < fixed)
        throw Error("train config: vocabSize " + std::to_string(m_config.vocabSize) +
                    " is below the " + std::to_string(fixed) + " byte and special tokens");
    for (std::size_t index = 0; index < m_config.specialTokens.size(); ++index) {
        const std::string& token = m_config.specialTokens[index];
        const std::string field = "train config: specialTokens[" + std::to_string(index) + "]: ";
        if (token.empty() || !isValidUtf8(token)) throw Error(field + "must be non-empty UTF-8");
        if (std::count(m_config.specialTokens.begin(), m_config.specialTokens.end(), token) > 1)
            throw Error(field + "'" + token + "' is listed twice");
    }
}

void BpeTrainer::addText(std::string_view text)
{
    m_bytesSeen += text.size();
    std::string repaired;
    if (!isValidUtf8(text)) {
        repaired = toValidUtf8(text);
        text = repaired;
    }
    auto countWord = [this](std::string_view word) {
        const auto found = m_wordCounts.find(word);
        if (found != m_wordCounts.end())
            ++found->second;
        else
            m_wordCounts.emplace(word, 1);
    };
    m_specials.split(text, SpecialTokenText::Parse,
                     [&](std::string_view piece, std::optional<std::uint32_t> id) {
                         if (!id) m_preTokenizer.forEachWord(piece, countWord);
                     });
}

Tokenizer BpeTrainer::train(const TrainProgress& progress) const
{
    std::vector<Word> words;
    words.reserve(m_wordCounts.size());
    for (const auto& [text, count] : m_wordCounts) {
        Word word;
        word.symbols.assign(text.begin(), text.end());
        for (std::uint32_t& symbol : word.symbols)
            symbol &= 0xFF; // char -> byte value = byte token id
        word.count = static_cast<std::int64_t>(count);
        words.push_back(std::move(word));
    }
    MergeState state(std::move(words));

    std::vector<std::string> tokens; // id -> byte-level string
    for (int byte = 0; byte < 256; ++byte)
        tokens.push_back(byteLevelCharacter(static_cast<unsigned char>(byte)));
    for (const std::string& token : m_config.specialTokens)
        tokens.push_back(token);
    TokenIdMap ids;
    for (std::uint32_t id = 0; id < tokens.size(); ++id)
        ids.emplace(tokens[id], id);

    const std::size_t wanted = m_config.vocabSize - tokens.size();
    const auto minFrequency =
        static_cast<std::int64_t>(std::max<std::uint64_t>(m_config.minFrequency, 1));
    std::vector<std::pair<std::string, std::string>> merges;
    while (tokens.size() < m_config.vocabSize) {
        const std::optional<PairKey> best = state.popBest(minFrequency);
        if (!best) break;
        const std::string& left = tokens[*best >> 32];
        const std::string& right = tokens[*best & 0xFFFFFFFFu];
        std::string joined = left + right;
        // Two merge orders can build the same string: it keeps its first id, as in HF.
        auto [found, isNew] = ids.emplace(joined, static_cast<std::uint32_t>(tokens.size()));
        merges.emplace_back(left, right);
        if (isNew) tokens.push_back(std::move(joined));
        state.merge(*best, found->second);
        if (progress && !progress(merges.size(), wanted)) break;
    }

    BpeModel model(std::move(tokens), merges, /*ignoreMerges=*/false);
    return Tokenizer(std::move(model),
                     PreTokenizer(PreTokenizerConfig::forFlavour(m_config.pattern)),
                     specialTokensOf(m_config));
}

} // namespace rlhf::text
