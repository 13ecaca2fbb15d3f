// The reward-model ensemble and score shaping of the stage wizard's PPO / GRPO Reward tab: more
// reward checkpoints scoring beside the main one, how their scores combine (mean, lcb, min), batch
// normalisation and clipping: the defences against over-optimising a learned reward. What they
// describe is the document's reward.ensemble, aggregate, lcb_k, normalize and clip
// (core/train/rl_config.h, reward_shaping.h).
#pragma once

#include <QWidget>

class QComboBox;
class QLineEdit;
class QListWidget;

namespace rlhf::train {
struct RlConfig;
}

namespace rlhf::widgets {

class RewardShapingFields : public QWidget {
    Q_OBJECT

public:
    explicit RewardShapingFields(QWidget* parent = nullptr);

    // Offers a reward checkpoint (`label`, its project-relative `path`) for the ensemble.
    void addCheckpoint(const QString& label, const QString& path);
    // The main reward model's path ("" = rules only). Its own entry leaves the ensemble list;
    // without a main model every field is off, as there is no model score to shape.
    void setMainModel(const QString& path);
    // Empty when the fields make a valid block, else the message.
    QString problem() const;
    // Writes ensemble, aggregate, lcb_k, normalize and clip into `config` (the defaults without
    // a main model).
    void apply(train::RlConfig& config) const;

Q_SIGNALS:
    void changed();

private:
    bool lcbChosen() const;
    void aggregateChosen();

    QString m_mainModel;
    QListWidget* m_ensemble = nullptr; // owned by this widget, like every field below
    QComboBox* m_aggregate = nullptr;
    QLineEdit* m_lcbK = nullptr;
    QComboBox* m_normalize = nullptr;
    QLineEdit* m_clip = nullptr;
};

} // namespace rlhf::widgets
