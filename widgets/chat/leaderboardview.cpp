// The arena leaderboard (see leaderboardview.h).
#include "widgets/chat/leaderboardview.h"

#include "core/eval/ratings.h"

#include <QHeaderView>
#include <QLabel>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace rlhf::widgets {

namespace {

QStandardItem* numberItem(const QString& text)
{
    auto* item = new QStandardItem(text);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

// The interval cell: "−12 / +15" when the bootstrap can say how sure the rating is, otherwise
// "n/a" with the reason in the tooltip.
QStandardItem* intervalItem(const eval::LeaderboardRow& row)
{
    const long below = std::lround(row.rating - row.low),
               above = std::lround(row.high - row.rating);
    if (row.battles < LeaderboardView::kMinBattlesForInterval) {
        auto* item =
            numberItem(row.battles == 1 ? LeaderboardView::tr("n/a (1 vote)")
                                        : LeaderboardView::tr("n/a (%1 votes)").arg(row.battles));
        item->setToolTip(LeaderboardView::tr("A 95% interval needs at least %1 votes on this "
                                             "model; resampling fewer says nothing about how "
                                             "sure the rating is.")
                             .arg(LeaderboardView::kMinBattlesForInterval));
        return item;
    }
    if (below == 0 && above == 0) {
        auto* item = numberItem(LeaderboardView::tr("n/a"));
        item->setToolTip(LeaderboardView::tr("Every resample of the votes gave the same rating "
                                             "(its battles all ended alike), so the bootstrap "
                                             "cannot give an interval."));
        return item;
    }
    auto* item = numberItem(QStringLiteral("−%1 / +%2").arg(below).arg(above));
    item->setToolTip(LeaderboardView::tr("Bootstrap 95% interval: %1 to %2")
                         .arg(std::lround(row.low))
                         .arg(std::lround(row.high)));
    return item;
}

// The checkpoint `path` was trained from, by its label: an improved model names its parent.
QStandardItem* fromItem(const std::vector<CheckpointChoice>& names, const QString& path)
{
    const auto choice = std::find_if(names.begin(), names.end(), [&](const CheckpointChoice& name) {
        return name.path == path;
    });
    if (choice == names.end() || choice->from.isEmpty()) return new QStandardItem;
    auto* item = new QStandardItem(checkpointLabel(names, choice->from));
    item->setToolTip(LeaderboardView::tr("Trained from %1").arg(choice->from));
    return item;
}

} // namespace

LeaderboardView::LeaderboardView(QWidget* parent) : QWidget(parent)
{
    m_caption = new QLabel(this);
    m_caption->setObjectName("leaderboardCaption");
    m_model = new QStandardItemModel(0, ColumnCount, this);
    m_model->setHorizontalHeaderLabels({tr("#"), tr("Model"), tr("From"), tr("Rating"),
                                        tr("95% interval"), tr("Elo"), tr("Battles"),
                                        tr("W / L / T")});
    m_table = new QTableView(this);
    m_table->setObjectName("leaderboard");
    m_table->setModel(m_model);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setMinimumSectionSize(64); // room for "1234" in any style
    m_table->horizontalHeader()->setSectionResizeMode(Model, QHeaderView::Stretch);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_caption);
    layout->addWidget(m_table, 1);
    setBattles({}, {});
}

void LeaderboardView::setBattles(const std::vector<store::Battle>& battles,
                                 const std::vector<CheckpointChoice>& names)
{
    const std::vector<eval::Match> matches = eval::matchesOf(battles);
    m_model->removeRows(0, m_model->rowCount());
    m_caption->setText(battles.empty()
                           ? tr("Leaderboard: no votes yet")
                           : tr("Leaderboard: %n vote(s); Bradley-Terry rating with its "
                                "bootstrap 95% interval, online Elo",
                                nullptr, int(battles.size())));
    if (matches.empty()) return;
    int rank = 0;
    for (const eval::LeaderboardRow& row : eval::leaderboard(matches)) {
        const QString path = QString::fromStdString(row.model);
        auto* model = new QStandardItem(checkpointLabel(names, path));
        model->setToolTip(path);
        m_model->appendRow(
            {numberItem(QString::number(++rank)), model, fromItem(names, path),
             numberItem(QString::number(std::lround(row.rating))), intervalItem(row),
             numberItem(QString::number(std::lround(row.elo))),
             numberItem(QString::number(row.battles)),
             numberItem(
                 QStringLiteral("%1 / %2 / %3").arg(row.wins).arg(row.losses).arg(row.ties))});
    }
}

} // namespace rlhf::widgets
