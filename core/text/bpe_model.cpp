// BPE vocabulary, merges and the per-word merge loop (see bpe_model.h). The loop is HF's
// Word::merge_all: a min-heap of (rank, position) over a linked list of symbols, so a word of
// n bytes costs O(n log n) even for pathological words such as a megabyte of spaces. The
// initial symbols of a character model follow HF's BPE::merge_word.

#include "core/text/bpe_model.h"

#include <cstdio>
#include <queue>

#include "core/text/byte_level.h"
#include "core/text/utf8.h"
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
    : BpeModel(std::move(tokens), merges, BpeOptions{.ignoreMerges = ignoreMerges})
{
}

BpeModel::BpeModel(std::vector<std::string> tokens,
                   const std::vector<std::pair<std::string, std::string>>& merges,
                   BpeOptions options)
    : m_tokens(std::move(tokens)), m_options(std::move(options))
{
    m_ids.reserve(m_tokens.size());
    for (std::uint32_t id = 0; id < m_tokens.size(); ++id) {
        auto [where, inserted] = m_ids.emplace(m_tokens[id], id);
        if (!inserted)
            throw Error("model.vocab: token " + quoted(m_tokens[id]) + " has two ids, " +
                        std::to_string(where->second) + " and " + std::to_string(id));
    }
    for (int byte = 0; byte < 256; ++byte) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", byte);
        const auto fallback = m_ids.find(std::string_view(name));
        m_fallbackIds[byte] =
            fallback == m_ids.end() ? -1 : static_cast<std::int64_t>(fallback->second);
    }
    if (m_options.unkToken) {
        const auto unk = m_ids.find(*m_options.unkToken);
        if (unk == m_ids.end())
            throw Error("model.unk_token: " + quoted(*m_options.unkToken) +
                        " is not in model.vocab");
        m_unkId = unk->second;
    }
    for (int byte = 0; m_options.byteLevel && byte < 256; ++byte) {
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
    if (m_options.ignoreMerges) {
        const auto whole = m_options.byteLevel ? m_ids.find(toByteLevel(word)) : m_ids.find(word);
        if (whole != m_ids.end()) {
            ids.push_back(whole->second);
            return;
        }
    }
    std::vector<Symbol> symbols;
    if (m_options.byteLevel) {
        const int length = static_cast<int>(word.size());
        symbols.resize(length);
        for (int index = 0; index < length; ++index)
            symbols[index] = {m_byteIds[static_cast<unsigned char>(word[index])], index - 1,
                              index + 1 < length ? index + 1 : -1, true};
    } else {
        characterSymbols(word, symbols);
        if (symbols.empty()) return;
    }
    mergeAll(symbols, ids);
}

void BpeModel::characterSymbols(std::string_view word, std::vector<Symbol>& symbols) const
{
    auto add = [&](std::uint32_t id) {
        const int index = static_cast<int>(symbols.size());
        if (index > 0) symbols.back().next = index;
        symbols.push_back({id, index - 1, -1, true});
    };
    bool unkPending = false; // an unknown not yet added, as HF holds it back
    std::size_t position = 0;
    while (position < word.size()) {
        const std::size_t start = position;
        nextCodePoint(word, position);
        const std::string_view character = word.substr(start, position - start);
        if (const auto known = m_ids.find(character); known != m_ids.end()) {
            if (unkPending) add(static_cast<std::uint32_t>(m_unkId));
            unkPending = false;
            add(known->second);
            continue;
        }
        if (m_options.byteFallback) {
            bool all = true;
            for (char byte : character)
                all = all && m_fallbackIds[static_cast<unsigned char>(byte)] >= 0;
            if (all) { // HF adds these before a pending unknown; so do we
                for (char byte : character)
                    add(static_cast<std::uint32_t>(
                        m_fallbackIds[static_cast<unsigned char>(byte)]));
                continue;
            }
        }
        if (m_unkId < 0) continue; // dropped, as HF does without an unknown token
        if (unkPending && !m_options.fuseUnk) add(static_cast<std::uint32_t>(m_unkId));
        unkPending = true;
    }
    if (unkPending) add(static_cast<std::uint32_t>(m_unkId));
}

void BpeModel::mergeAll(std::vector<Symbol>& symbols, std::vector<std::uint32_t>& ids) const
{
    const int length = static_cast<int>(symbols.size());
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
