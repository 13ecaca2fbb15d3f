// The generation settings form of a chat side (see chatsettingseditor.h).
#include "widgets/chat/chatsettingseditor.h"

#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QLabel>
#include <QSpinBox>

#include <algorithm>
#include <climits>
#include <utility>

namespace rlhf::widgets {

namespace {

QDoubleSpinBox* doubleBox(QWidget* parent, const char* name, double low, double high, double step,
                          int decimals)
{
    auto* box = new QDoubleSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(low, high);
    box->setSingleStep(step);
    box->setDecimals(decimals);
    return box;
}

QSpinBox* intBox(QWidget* parent, const char* name, int low, int high)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(low, high);
    return box;
}

} // namespace

ChatSettingsEditor::ChatSettingsEditor(QWidget* parent) : QWidget(parent)
{
    m_temperature = doubleBox(this, "temperature", 0.0, 2.0, 0.05, 2);
    m_temperature->setSpecialValueText(tr("0 (greedy)"));
    m_topK = intBox(this, "topK", 0, 100000);
    m_topK->setSpecialValueText(tr("off"));
    m_topP = doubleBox(this, "topP", 0.01, 1.0, 0.05, 2);
    m_maxTokens = intBox(this, "maxTokens", 1, 8192);
    m_repetitionPenalty = doubleBox(this, "repetitionPenalty", 1.0, 3.0, 0.05, 2);
    m_beams = intBox(this, "beams", 1, 16);
    m_beams->setToolTip(tr("More than one: beam search, deterministic; the reply comes whole"));
    m_lengthPenalty = doubleBox(this, "lengthPenalty", -3.0, 3.0, 0.1, 2);
    m_lengthPenalty->setToolTip(tr("Beam search only: above 0 favours longer replies"));
    m_seed = intBox(this, "seed", 0, INT_MAX);

    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(2);
    const std::pair<QString, QWidget*> fields[] = {
        {tr("Temperature"), m_temperature},
        {tr("Top-k"), m_topK},
        {tr("Top-p"), m_topP},
        {tr("Max tokens"), m_maxTokens},
        {tr("Repetition"), m_repetitionPenalty},
        {tr("Seed"), m_seed},
        {tr("Beams"), m_beams},
        {tr("Length penalty"), m_lengthPenalty},
    };
    int index = 0;
    for (const auto& [label, field] : fields) {
        const int row = index / 2, column = (index % 2) * 2;
        auto* text = new QLabel(label, this);
        text->setBuddy(field);
        grid->addWidget(text, row, column);
        grid->addWidget(field, row, column + 1);
        ++index;
    }
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);

    setSettings({});
    for (auto* box : {m_temperature, m_topP, m_repetitionPenalty, m_lengthPenalty})
        connect(box, &QDoubleSpinBox::valueChanged, this, &ChatSettingsEditor::changed);
    for (auto* box : {m_topK, m_maxTokens, m_beams, m_seed})
        connect(box, &QSpinBox::valueChanged, this, &ChatSettingsEditor::changed);
    connect(m_beams, &QSpinBox::valueChanged, this,
            [this](int beams) { m_lengthPenalty->setEnabled(beams > 1); });
}

gen::SamplingSettings ChatSettingsEditor::settings() const
{
    gen::SamplingSettings settings;
    settings.temperature = m_temperature->value();
    settings.topK = m_topK->value();
    settings.topP = m_topP->value();
    settings.maxNewTokens = m_maxTokens->value();
    settings.repetitionPenalty = m_repetitionPenalty->value();
    settings.beams = m_beams->value();
    settings.lengthPenalty = m_lengthPenalty->value();
    settings.seed = uint64_t(m_seed->value());
    return settings;
}

void ChatSettingsEditor::setSettings(const gen::SamplingSettings& settings)
{
    m_temperature->setValue(settings.temperature);
    m_topK->setValue(int(settings.topK));
    m_topP->setValue(settings.topP);
    m_maxTokens->setValue(int(settings.maxNewTokens));
    m_repetitionPenalty->setValue(settings.repetitionPenalty);
    m_beams->setValue(int(settings.beams));
    m_lengthPenalty->setValue(settings.lengthPenalty);
    m_seed->setValue(int(std::min<uint64_t>(settings.seed, INT_MAX)));
    m_lengthPenalty->setEnabled(settings.beams > 1);
}

} // namespace rlhf::widgets
