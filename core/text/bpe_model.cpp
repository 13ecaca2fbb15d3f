// BPE vocabulary, merges and the per-word merge loop (see bpe_model.h). The loop is HF's
// Word::merge_all: a min-heap of (rank, position) over a linked list of symbols, so a word of
// n bytes costs O(n log n) even for pathological words such as a megabyte of spaces.

#include "core/text/bpe_model.h"

#include <queue>

#include "core/text/byte_level.h"
#include "core/util/error.h"

namespace rlhf::text {

namespace {

std::string quoted(std::string_view token)
{
    return "'" + std::string(token) + "'";
}

} // namespace

BpeModel::BpeModel(std::vector<std::string> tokens,
                   const std::vector<std::pair<std::string, std::string>>& merges,
                   bool ignoreMerges)
    : m_tokens(std::move(tokens)), m_ignoreMerges(ignoreMerges)
{
    m_ids.reserve(m_tokens.size());
    for (std::uint32_t id = 0; id < m_tokens.size(); ++id) {
        auto [where, inserted] = m_ids.emplace(m_tokens[id], id);
        if (!inserted)
            throw Error("model.vocab: token " + quoted(m_tokens[id]) + " has two ids, " +
                        std::to_string(where->second) + " and " + std::to_string(id));
    }
    for (int byte = 0; byte < 256; ++byte) {
        const std::string& character = byteLevelCharacter(static_cast<unsigned char>(byte));
        const auto found = m_ids.find(character);
        if (found == m_ids.end())
            throw Error("model.vocab: no token for byte " + std::to_string(byte) + " (" +
                        quoted(character) + "); a byte-level vocabulary needs all 256");
        m_byteIds[byte] = found->second;
    }
    m_mergeList.reserve(merges.size());
    m_merges.reserve(merges.size());
    for (std::uint32_t rank = 0; rank < merges.size(); ++rank) {
        const auto& [left, right] = merges[rank];
        const std::string field = "model.merges[" + std::to_string(rank) + "]: ";
        const auto leftId = m_ids.find(left);
        if (leftId == m_ids.end()) throw Error(field + "unknown token " + quoted(left));
        const auto rightId = m_ids.find(right);
        if (rightId == m_ids.end()) throw Error(field + "unknown token " + quoted(right));
        const auto joined = m_ids.find(left + right);
        if (joined == m_ids.end())
            throw Error(field + "merged token " + quoted(left + right) + " is not in model.vocab");
        // A repeated pair takes its last rank, as HF's map building does.
        m_merges.insert_or_assign(pairKey(leftId->second, rightId->second),
                                  Merge{rank, joined->second});
        m_mergeList.emplace_back(leftId->second, rightId->second);
    }
}

void BpeModel::encodeWord(std::string_view word, std::vector<std::uint32_t>& ids) const
{
    if (word.empty()) return;
    if (m_ignoreMerges) {
        const auto whole = m_ids.find(toByteLevel(word));
        if (whole != m_ids.end()) {
            ids.push_back(whole->second);
            return;
        }
    }
    struct Symbol {
        std::uint32_t id;
        int previous; // index of the previous live symbol, -1 at the start
        int next;     // index of the next live symbol, -1 at the end
        bool alive;
    };
    const int length = static_cast<int>(word.size());
    std::vector<Symbol> symbols(length);
    for (int index = 0; index < length; ++index)
        symbols[index] = {m_byteIds[static_cast<unsigned char>(word[index])], index - 1,
                          index + 1 < length ? index + 1 : -1, true};

    struct Candidate {
        std::uint32_t rank;
        int position;        // left symbol of the pair
        std::uint32_t newId; // what the pair merged into when queued
        bool operator>(const Candidate& other) const
        {
            return rank != other.rank ? rank > other.rank : position > other.position;
        }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    auto consider = [&](int position) {
        const int next = symbols[position].next;
        if (next < 0) return;
        const auto merge = m_merges.find(pairKey(symbols[position].id, symbols[next].id));
        if (merge != m_merges.end())
            queue.push({merge->second.rank, position, merge->second.newId});
    };
    for (int index = 0; index + 1 < length; ++index)
        consider(index);

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol& left = symbols[top.position];
        if (!left.alive || left.next < 0) continue;
        Symbol& right = symbols[left.next];
        // The pair may have changed since it was queued: check it still makes the same token.
        const auto merge = m_merges.find(pairKey(left.id, right.id));
        if (merge == m_merges.end() || merge->second.newId != top.newId) continue;
        left.id = top.newId;
        right.alive = false;
        left.next = right.next;
        if (right.next >= 0) symbols[right.next].previous = top.position;
        if (left.previous >= 0) consider(left.previous);
        consider(top.position);
    }
    for (int index = 0; index >= 0; index = symbols[index].next)
        ids.push_back(symbols[index].id);
}

} // namespace rlhf::text
