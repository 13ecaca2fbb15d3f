// A map from a 64-bit text hash to the id of the first record that had it (or, for LSH, to
// every id stored under it), as an open-addressing table of (hash, id) pairs: 16 bytes a slot, at
// most 70% full, one allocation per growth. Exact dedup keeps one entry per kept record, so this is
// its whole memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace rlhf::data::cleaning {

class HashIdTable {
public:
    // The id stored under `hash`, or nullopt after storing `id` under it.
    std::optional<int64_t> findOrInsert(uint64_t hash, int64_t id);
    // Multimap use (the LSH buckets): stores `id` under `hash` even when the hash is taken,
    // and calls visit(id) for every id stored under `hash`.
    void insert(uint64_t hash, int64_t id);
    template <typename Visit> void forEach(uint64_t hash, Visit&& visit) const
    {
        if (m_slots.empty()) return;
        if (hash == 0) hash = 1;
        const size_t mask = m_slots.size() - 1;
        for (size_t i = hash & mask; m_slots[i].hash != 0; i = (i + 1) & mask)
            if (m_slots[i].hash == hash) visit(m_slots[i].id);
    }
    size_t size() const { return m_size; }
    size_t bytes() const { return m_slots.capacity() * sizeof(Slot); }

private:
    struct Slot {
        uint64_t hash = 0; // 0 = empty; real hash 0 is stored as 1 (a harmless extra collision)
        int64_t id = 0;
    };
    void grow();

    std::vector<Slot> m_slots;
    size_t m_size = 0;
};

} // namespace rlhf::data::cleaning
