// The arena leaderboard: one row per model from the stored battles (core/eval/ratings.h), with
// the checkpoint it was trained from (so an improved model is read beside its parent):
// Bradley-Terry rating with its bootstrap 95% interval, online Elo, battles and wins / losses /
// ties. A battle's vote scores 1 for the winner, a tie or "both bad" half each. The interval is
// shown only where it says something: with fewer than kMinBattlesForInterval battles of a model,
// or when every resample gave the same rating (its votes never vary), the cell reads "n/a" and
// its tooltip says why.
#pragma once

#include "core/store/label_records.h"
#include "widgets/chat/checkpointchoices.h"

#include <QWidget>

#include <vector>

class QLabel;
class QStandardItemModel;
class QTableView;

namespace rlhf::widgets {

class LeaderboardView : public QWidget {
    Q_OBJECT
public:
    enum Column { Rank, Model, From, Rating, Interval, Elo, Battles, Record, ColumnCount };
    // A model's battles below this leave its bootstrap interval unshown: resampling one or two
    // votes yields "−0 / +0" or a range that is mostly the resampler's artefact.
    static constexpr int kMinBattlesForInterval = 5;

    explicit LeaderboardView(QWidget* parent = nullptr);

    // Recomputes the table from `battles`; models are shown by their label in `names` (the
    // checkpoint folder when it has none), the folder in the tooltip.
    void setBattles(const std::vector<store::Battle>& battles,
                    const std::vector<CheckpointChoice>& names);

    QStandardItemModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }

private:
    QLabel* m_caption = nullptr; // all owned by this widget
    QStandardItemModel* m_model = nullptr;
    QTableView* m_table = nullptr;
};

} // namespace rlhf::widgets
