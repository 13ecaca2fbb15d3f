// The "Policy" tab of the stage wizard's rewards page for PPO and GRPO: epochs and minibatches,
// the clip (with DAPO's separate upper bound), how per-token losses are aggregated, PPO's
// advantage whitening, GRPO's advantage estimator (GRPO, RLOO, Dr. GRPO, REINFORCE++ with its
// discount) and dynamic sampling, and the evaluation's prompt count. What they describe is the
// document's "policy" block and eval.prompts (core/train/rl_config.h).
#pragma once

#include "core/store/records.h"

#include <QWidget>

#include <cstdint>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLineEdit;
class QSpinBox;

namespace rlhf::train {
struct RlConfig;
}

namespace rlhf::widgets {

class RlPolicyFields : public QWidget {
    Q_OBJECT
public:
    explicit RlPolicyFields(QWidget* parent = nullptr);

    // Shows the rows of `stage` (Ppo or Grpo): whitening for PPO, advantage, discount and
    // dynamic sampling for GRPO.
    void setStage(store::RunStage stage);
    // Empty when the fields make a valid "policy" block with GRPO's `groupSize`, else the message.
    QString problem(int64_t groupSize) const;
    // Writes the policy fields and eval.prompts into `config`.
    void apply(train::RlConfig& config) const;

Q_SIGNALS:
    void changed();

private:
    void advantageChosen();

    store::RunStage m_stage = store::RunStage::Ppo;
    QFormLayout* m_form = nullptr; // owned by this widget, like every field below
    QSpinBox* m_epochs = nullptr;
    QSpinBox* m_minibatch = nullptr;
    QLineEdit* m_clipRange = nullptr;
    QLineEdit* m_clipLow = nullptr;
    QLineEdit* m_clipHigh = nullptr;
    QComboBox* m_aggregation = nullptr;
    QCheckBox* m_whiten = nullptr;
    QComboBox* m_advantage = nullptr;
    QLineEdit* m_gamma = nullptr;
    QCheckBox* m_dynamicSampling = nullptr;
    QSpinBox* m_evalPrompts = nullptr;
};

} // namespace rlhf::widgets
