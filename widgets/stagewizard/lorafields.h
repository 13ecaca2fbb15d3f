// The stage wizard's LoRA fields for the stages after pretraining: train low-rank adapters on
// the frozen init model instead of every weight (rank, alpha, which layers, DoRA, rsLoRA) and how
// the frozen base is held (fp32, or quantised: nf4 as QLoRA, int8). What they describe is the
// document's "lora" block (core/train/lora_options.h).
#pragma once

#include "core/train/lora_options.h"

#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QSpinBox;

namespace rlhf::widgets {

class LoraFields : public QWidget {
    Q_OBJECT
public:
    explicit LoraFields(QWidget* parent = nullptr);

    // Empty when adapters are off: every weight trains.
    std::optional<train::LoraOptions> options() const;
    bool enabled() const;
    void setEnabled(bool on); // the "train adapters" box; the details follow it

Q_SIGNALS:
    void changed();

private:
    QCheckBox* m_on = nullptr;
    QWidget* m_details = nullptr;
    QSpinBox* m_rank = nullptr;
    QDoubleSpinBox* m_alpha = nullptr;
    QComboBox* m_targets = nullptr;
    QComboBox* m_base = nullptr;
    QDoubleSpinBox* m_dropout = nullptr;
    QCheckBox* m_dora = nullptr;
    QCheckBox* m_rsLora = nullptr;
};

} // namespace rlhf::widgets
