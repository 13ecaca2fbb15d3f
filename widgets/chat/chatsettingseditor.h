// The generation settings of one chat side as a compact two-column form: temperature, top-k,
// top-p, max new tokens, repetition penalty, beams (with the length penalty, enabled only for
// beam search) and seed; to and from gen::SamplingSettings.
#pragma once

#include "core/gen/sampling_settings.h"

#include <QWidget>

class QDoubleSpinBox;
class QSpinBox;

namespace rlhf::widgets {

class ChatSettingsEditor : public QWidget {
    Q_OBJECT
public:
    explicit ChatSettingsEditor(QWidget* parent = nullptr);

    gen::SamplingSettings settings() const;
    void setSettings(const gen::SamplingSettings& settings);

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
