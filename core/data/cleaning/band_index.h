// BandIndex: the LSH buckets of near dedup, a multimap from a band key to the 32-bit index of
// each kept record filed under it, as an open-addressing table of 8-byte slots (32 bits of the
// key and the index; HashIdTable's are 16), at most 70% full. Not exact: two keys that share
// those 32 bits meet, which only adds a candidate that the signature check then turns down.
// Exact dedup, which must never confuse two texts, keeps HashIdTable's full 64-bit hashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rlhf::data::cleaning {

class BandIndex {
public:
    // Files `index` under `key`, even when other indexes are filed there already.
    void insert(uint64_t key, uint32_t index);
    // Calls visit(index) for every index filed under `key` (and rarely one more: see above).
    template <typename Visit> void forEach(uint64_t key, Visit&& visit) const
    {
        if (m_slots.empty()) return;
        const uint32_t tag = tagOf(key);
        const size_t mask = m_slots.size() - 1;
        for (size_t i = tag & mask; m_slots[i].tag != 0; i = (i + 1) & mask)
            if (m_slots[i].tag == tag) visit(m_slots[i].index);
    }
    size_t bytes() const { return m_slots.capacity() * sizeof(Slot); }

private:
    struct Slot {
        uint32_t tag = 0; // 0 = empty; a real tag is never 0
        uint32_t index = 0;
    };
    // The key's high half, never 0; its low bits also pick the slot, so the table can grow.
    static uint32_t tagOf(uint64_t key)
    {
        const auto tag = static_cast<uint32_t>(key >> 32);
        return tag != 0 ? tag : 1;
    }
    void place(Slot slot);
    void grow();

    std::vector<Slot> m_slots;
    size_t m_size = 0;
};

} // namespace rlhf::data::cleaning
