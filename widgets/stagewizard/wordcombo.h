// Combo boxes over a word table (core/util/word_table.h): an item per enum value whose data is
// the value's document word (e.g. "fp32"), and the chosen value read back through the same
// table, so the stage wizard never compares or spells a document word itself. Header-only.
#pragma once

#include "core/util/word_table.h"

#include <QComboBox>
#include <QString>

#include <string>
#include <string_view>

namespace rlhf::widgets {

inline QString wordText(std::string_view word)
{
    return QString::fromUtf8(word.data(), qsizetype(word.size()));
}

// Adds `label` for `value`, with its word as the item's data.
template <typename Enum, size_t Count>
void addWordItem(QComboBox* combo, const WordTable<Enum, Count>& table, Enum value,
                 const QString& label)
{
    combo->addItem(label, wordText(wordOf(table, value)));
}

// The value of the current item (added by addWordItem).
template <typename Enum, size_t Count>
Enum chosenWord(const QComboBox* combo, const WordTable<Enum, Count>& table)
{
    return parseWord(table, combo->currentData().toString().toStdString(),
                     combo->objectName().toUtf8().constData());
}

// Selects the item of `value`.
template <typename Enum, size_t Count>
void chooseWord(QComboBox* combo, const WordTable<Enum, Count>& table, Enum value)
{
    combo->setCurrentIndex(combo->findData(wordText(wordOf(table, value))));
}

} // namespace rlhf::widgets
