// The config diff dialog (see configdiffdialog.h).
#include "widgets/window/configdiffdialog.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QColor>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QFont>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QStringList>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace rlhf::widgets {

namespace {

constexpr int copiedFeedbackMs = 2000; // how long the copy button reads "Copied"

QColor changedBackground()
{
    return QColor(255, 243, 196); // a pale yellow, with black text on it
}

// "a.b" -> the value's JSON text, for every leaf of `json` (an array is one leaf).
void flatten(const nlohmann::json& json, const std::string& prefix,
             std::map<std::string, std::string>& out)
{
    if (json.is_object() && !json.empty()) {
        for (const auto& item : json.items())
            flatten(item.value(), prefix.empty() ? item.key() : prefix + "." + item.key(), out);
        return;
    }
    out[prefix] = json.dump();
}

} // namespace

QString ConfigDiffDialog::absentText()
{
    return tr("(absent)");
}

std::vector<ConfigDiffDialog::Row> ConfigDiffDialog::diffRows(const nlohmann::json& a,
                                                              const nlohmann::json& b)
{
    std::map<std::string, std::string> left, right;
    flatten(a, "", left);
    flatten(b, "", right);
    std::set<std::string> keys; // every key of either, sorted
    for (const auto& [key, value] : left)
        keys.insert(key);
    for (const auto& [key, value] : right)
        keys.insert(key);
    std::vector<Row> rows;
    for (const std::string& key : keys) {
        const auto inA = left.find(key), inB = right.find(key);
        Row& row = rows.emplace_back();
        row.key = QString::fromStdString(key);
        row.a = inA == left.end() ? absentText() : QString::fromStdString(inA->second);
        row.b = inB == right.end() ? absentText() : QString::fromStdString(inB->second);
        row.changed = inA == left.end() || inB == right.end() || inA->second != inB->second;
    }
    return rows;
}

ConfigDiffDialog::ConfigDiffDialog(const QString& titleA, const nlohmann::json& a,
                                   const QString& titleB, const nlohmann::json& b, QWidget* parent)
    : QDialog(parent), m_titleA(titleA), m_titleB(titleB), m_rows(diffRows(a, b))
{
    setWindowTitle(tr("Compare configs: %1 and %2").arg(titleA, titleB));
    setSizeGripEnabled(true);

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("diffSummary"));
    m_summary->setWordWrap(true);
    m_table = new QTableWidget(0, 3, this);
    m_table->setObjectName(QStringLiteral("diffTable"));
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->setRowCount(int(m_rows.size()));
    m_table->setHorizontalHeaderLabels({tr("Key"), titleA, titleB});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setStretchLastSection(true);
    int changed = 0;
    for (int row = 0; row < int(m_rows.size()); ++row) {
        const Row& entry = m_rows[size_t(row)];
        changed += entry.changed ? 1 : 0;
        const QString cells[] = {entry.key, entry.a, entry.b};
        for (int column = 0; column < 3; ++column) {
            auto* item = new QTableWidgetItem(cells[column]);
            item->setToolTip(cells[column]); // a long list is cut in its cell
            if (entry.changed) {
                item->setBackground(changedBackground());
                item->setForeground(Qt::black);
            }
            if (cells[column] == absentText() && column > 0) {
                QFont italic = item->font();
                italic.setItalic(true);
                item->setFont(italic);
            }
            m_table->setItem(row, column, item);
        }
    }
    const int keys = int(m_rows.size());
    m_summary->setText(changed == 0
                           ? tr("The configs are identical (%1 keys).").arg(keys)
                           : tr("%1 of %2 keys differ (highlighted).").arg(changed).arg(keys));

    m_showIdentical = new QCheckBox(tr("Show identical keys too"), this);
    m_showIdentical->setObjectName(QStringLiteral("showIdentical"));
    m_showIdentical->setChecked(changed == 0); // else an empty table
    m_copy = new QPushButton(tr("Copy as text"), this);
    m_copy->setObjectName(QStringLiteral("copyDiff"));
    m_copy->setToolTip(tr("The rows shown, one \"key: A → B\" line each."));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);

    auto* row = new QHBoxLayout;
    row->addWidget(m_showIdentical);
    row->addStretch(1);
    row->addWidget(m_copy);
    row->addWidget(buttons);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, /*stretch=*/1);
    layout->addLayout(row);

    connect(m_showIdentical, &QCheckBox::toggled, this, &ConfigDiffDialog::showRows);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_copy, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(text());
        m_copy->setText(tr("Copied"));
        QTimer::singleShot(copiedFeedbackMs, m_copy,
                           [this] { m_copy->setText(tr("Copy as text")); });
    });
    showRows();
    // The key column fits the longest key, hidden rows' too (up to 300 px); the two value
    // columns share the rest.
    int keyWidth = m_table->horizontalHeader()->sectionSizeHint(0);
    for (const Row& entry : m_rows)
        keyWidth = std::max(keyWidth, m_table->fontMetrics().horizontalAdvance(entry.key) + 16);
    resize(700, 420);
    m_table->setColumnWidth(0, std::min(keyWidth, 300));
    m_table->setColumnWidth(1, std::max(120, (700 - m_table->columnWidth(0) - 40) / 2));
}

void ConfigDiffDialog::showRows()
{
    const bool all = m_showIdentical->isChecked();
    for (int row = 0; row < int(m_rows.size()); ++row)
        m_table->setRowHidden(row, !all && !m_rows[size_t(row)].changed);
}

QString ConfigDiffDialog::text() const
{
    QStringList lines{tr("Config diff: %1 → %2").arg(m_titleA, m_titleB)};
    for (int row = 0; row < int(m_rows.size()); ++row) {
        if (m_table->isRowHidden(row)) continue;
        const Row& entry = m_rows[size_t(row)];
        lines << (entry.changed ? QStringLiteral("%1: %2 → %3").arg(entry.key, entry.a, entry.b)
                                : QStringLiteral("%1: %2").arg(entry.key, entry.a));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

} // namespace rlhf::widgets
