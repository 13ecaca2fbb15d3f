// The generation settings of one chat side as a compact two-column form: temperature, top-k,
// top-p, max new tokens, repetition penalty, beams (with the length penalty, enabled only for
// beam search) and seed; to and from train::ChatSettings.
#pragma once

#include "core/train/chat_model.h"

#include <QWidget>

class QDoubleSpinBox;
class QSpinBox;

namespace rlhf::widgets {

class ChatSettingsEditor : public QWidget {
    Q_OBJECT
public:
    explicit ChatSettingsEditor(QWidget* parent = nullptr);

    train::ChatSettings settings() const;
    void setSettings(const train::ChatSettings& settings);

    QDoubleSpinBox* temperature() const { return m_temperature; }
    QSpinBox* beams() const { return m_beams; }
    QSpinBox* maxTokens() const { return m_maxTokens; }
    QSpinBox* seed() const { return m_seed; }

Q_SIGNALS:
    void changed();

private:
    QDoubleSpinBox* m_temperature = nullptr; // all owned by this widget
    QSpinBox* m_topK = nullptr;
    QDoubleSpinBox* m_topP = nullptr;
    QSpinBox* m_maxTokens = nullptr;
    QDoubleSpinBox* m_repetitionPenalty = nullptr;
    QSpinBox* m_beams = nullptr;
    QDoubleSpinBox* m_lengthPenalty = nullptr;
    QSpinBox* m_seed = nullptr;
};

} // namespace rlhf::widgets
