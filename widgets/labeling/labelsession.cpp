// The labeling queue of one annotator: navigation in memory, labels in the database.
#include "widgets/labeling/labelsession.h"

#include "core/store/database.h"
#include "core/util/error.h"

#include <algorithm>
#include <set>

namespace rlhf::widgets {

store::Judgment judgmentOf(ScreenChoice choice, bool swapped)
{
    switch (choice) {
    case ScreenChoice::Left:
        return swapped ? store::Judgment::B : store::Judgment::A;
    case ScreenChoice::Right:
        return swapped ? store::Judgment::A : store::Judgment::B;
    case ScreenChoice::Tie:
        return store::Judgment::Tie;
    case ScreenChoice::BothBad:
        return store::Judgment::BothBad;
    }
    return store::Judgment::Tie;
}

ScreenChoice screenChoiceOf(store::Judgment judgment, bool swapped)
{
    switch (judgment) {
    case store::Judgment::A:
        return swapped ? ScreenChoice::Right : ScreenChoice::Left;
    case store::Judgment::B:
        return swapped ? ScreenChoice::Left : ScreenChoice::Right;
    case store::Judgment::Tie:
        return ScreenChoice::Tie;
    case store::Judgment::BothBad:
        return ScreenChoice::BothBad;
    }
    return ScreenChoice::Tie;
}

LabelSession::LabelSession(store::Database& database, std::string annotator, uint64_t seed)
    : m_database(database), m_annotator(std::move(annotator)), m_random(seed)
{
    if (m_annotator.empty()) throw Error("labeling needs an annotator name");
    m_queue = m_database.unlabelledItems(m_annotator);
    drawSides();
}

int64_t LabelSession::reload()
{
    std::set<store::Id> known;
    for (const auto& item : m_queue)
        known.insert(item.id);
    int64_t appended = 0;
    for (auto& item : m_database.unlabelledItems(m_annotator)) {
        if (known.count(item.id)) continue;
        m_queue.push_back(std::move(item));
        ++appended;
    }
    // Past the end means "all done"; new items make the first of them current.
    if (appended > 0 && m_position >= queueSize()) m_position = queueSize() - appended;
    drawSides();
    return appended;
}

const store::ComparisonItem* LabelSession::current() const
{
    return m_position < queueSize() ? &m_queue[size_t(m_position)] : nullptr;
}

bool LabelSession::swapped() const
{
    const auto* item = current();
    if (!item) return false;
    if (auto label = currentLabel()) return label->swapped; // shown as it was judged
    const auto found = m_swapped.find(item->id);
    return found != m_swapped.end() && found->second;
}

std::optional<store::Label> LabelSession::currentLabel() const
{
    const auto* item = current();
    if (!item || !isLabelled(item->id)) return std::nullopt;
    return m_database.label(item->id, m_annotator);
}

store::Label LabelSession::submit(ScreenChoice choice, const std::string& comment)
{
    const auto* item = current();
    if (!item) throw Error("nothing to label: the queue is done");
    store::Label label;
    label.item = item->id;
    label.annotator = m_annotator;
    label.swapped = swapped();
    label.judgment = judgmentOf(choice, label.swapped);
    label.comment = comment;
    label.id = m_database.setLabel(label); // committed before anything moves
    m_labelled.insert(label.item);
    std::erase(m_history, label.item);
    m_history.push_back(label.item);
    advance();
    return label;
}

void LabelSession::skip()
{
    if (!current()) return;
    auto item = std::move(m_queue[size_t(m_position)]);
    m_queue.erase(m_queue.begin() + m_position);
    m_queue.push_back(std::move(item));
    if (isLabelled(m_queue[size_t(m_position)].id)) advance();
    drawSides();
}

bool LabelSession::back()
{
    if (m_position == 0) return false;
    --m_position;
    drawSides();
    return true;
}

bool LabelSession::forward()
{
    if (m_position + 1 >= queueSize()) return false;
    ++m_position;
    drawSides();
    return true;
}

std::optional<store::Id> LabelSession::undo()
{
    while (!m_history.empty()) {
        const store::Id item = m_history.back();
        m_history.pop_back();
        if (!m_database.removeLabel(item, m_annotator)) continue; // removed elsewhere already
        m_labelled.erase(item);
        const auto found = std::find_if(m_queue.begin(), m_queue.end(),
                                        [&](const auto& entry) { return entry.id == item; });
        m_position = found - m_queue.begin();
        drawSides();
        return item;
    }
    return std::nullopt;
}

int64_t LabelSession::labelled() const
{
    return m_database.comparisonItemCount() - m_database.unlabelledCount(m_annotator);
}

int64_t LabelSession::remaining() const
{
    return m_database.unlabelledCount(m_annotator);
}

void LabelSession::advance()
{
    const int64_t size = queueSize();
    for (int64_t offset = 1; offset <= size; ++offset) {
        const int64_t index = (m_position + offset) % size;
        if (!isLabelled(m_queue[size_t(index)].id)) {
            m_position = index;
            drawSides();
            return;
        }
    }
    m_position = size; // every item labelled
}

void LabelSession::drawSides()
{
    const auto* item = current();
    if (!item || m_swapped.count(item->id)) return;
    m_swapped[item->id] = std::bernoulli_distribution(0.5)(m_random);
}

} // namespace rlhf::widgets
