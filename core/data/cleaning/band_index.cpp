// Linear probing over a power-of-two table; band keys are xxHash outputs, already uniform, so
// the tag's low bits index the table directly.
#include "core/data/cleaning/band_index.h"

namespace rlhf::data::cleaning {

void BandIndex::insert(uint64_t key, uint32_t index)
{
    if ((m_size + 1) * 10 > m_slots.size() * 7) grow();
    place({tagOf(key), index});
    ++m_size;
}

void BandIndex::place(Slot slot)
{
    const size_t mask = m_slots.size() - 1;
    size_t i = slot.tag & mask;
    while (m_slots[i].tag != 0)
        i = (i + 1) & mask;
    m_slots[i] = slot;
}

void BandIndex::grow()
{
    std::vector<Slot> old(m_slots.empty() ? 1024 : m_slots.size() * 2);
    old.swap(m_slots);
    for (const Slot& slot : old)
        if (slot.tag != 0) place(slot);
}

} // namespace rlhf::data::cleaning
