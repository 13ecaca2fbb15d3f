// The rollouts of one PPO / GRPO step as a table: index, prompt, response, score, reward, KL and
// the task's true score (blank where the data has none). Cells show one line of text; tooltips
// show the whole prompt or response and, on the response and KL cells, the KL of every token.
#pragma once

#include "core/store/records.h"

#include <QAbstractTableModel>

#include <vector>

namespace rlhf::widgets {

class RolloutModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Index, Prompt, Response, Score, Reward, Kl, TrueScore, ColumnCount };

    explicit RolloutModel(QObject* parent = nullptr);

    void setRollouts(std::vector<store::Rollout> rollouts);
    const std::vector<store::Rollout>& rollouts() const { return m_rollouts; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<store::Rollout> m_rollouts; // by index within the step
};

} // namespace rlhf::widgets
