// Linear probing over a power-of-two table; the hashes are xxHash outputs, already uniform, so
// their low bits index the table directly.
#include "core/data/cleaning/hash_id_table.h"

namespace rlhf::data::cleaning {

std::optional<int64_t> HashIdTable::findOrInsert(uint64_t hash, int64_t id)
{
    if (hash == 0) hash = 1;
    if ((m_size + 1) * 10 > m_slots.size() * 7) grow();
    const size_t mask = m_slots.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        Slot& slot = m_slots[i];
        if (slot.hash == hash) return slot.id;
        if (slot.hash == 0) {
            slot = {hash, id};
            ++m_size;
            return std::nullopt;
        }
    }
}

void HashIdTable::insert(uint64_t hash, int64_t id)
{
    if (hash == 0) hash = 1;
    if ((m_size + 1) * 10 > m_slots.size() * 7) grow();
    const size_t mask = m_slots.size() - 1;
    size_t i = hash & mask;
    while (m_slots[i].hash != 0)
        i = (i + 1) & mask;
    m_slots[i] = {hash, id};
    ++m_size;
}

void HashIdTable::grow()
{
    std::vector<Slot> old(m_slots.empty() ? 1024 : m_slots.size() * 2);
    old.swap(m_slots);
    const size_t mask = m_slots.size() - 1;
    for (const Slot& slot : old) {
        if (slot.hash == 0) continue;
        size_t i = slot.hash & mask;
        while (m_slots[i].hash != 0)
            i = (i + 1) & mask;
        m_slots[i] = slot;
    }
}

} // namespace rlhf::data::cleaning
