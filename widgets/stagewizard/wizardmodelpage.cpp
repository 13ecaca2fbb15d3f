#include "widgets/stagewizard/wizardmodelpage.h"

#include "core/train/option_ranges.h"
#include "core/util/error.h"
#include "widgets/stagewizard/modelpresets.h"
#include "widgets/stagewizard/wizarddatapage.h"
#include "widgets/stagewizard/wizardfields.h"
#include "widgets/stagewizard/wordcombo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QSpinBox>
#include <QVariant>

namespace rlhf::widgets {

namespace {

constexpr int64_t fallbackVocabSize = 4096; // shown before a tokenizer is chosen

// A spin box with the limits of the pretrain document's model field (option_ranges.h).
QSpinBox* spinBox(QWidget* parent, const char* name, const ValueRange& range)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    setRange(box, range);
    return box;
}

} // namespace

WizardModelPage::WizardModelPage(const WizardDataPage* data, QWidget* parent)
    : QWizardPage(parent), m_data(data)
{
    setTitle(tr("Model"));
    setSubTitle(tr("The Transformer's shape. The vocabulary size is the tokenizer's."));

    m_preset = new QComboBox(this);
    m_preset->setObjectName(QStringLiteral("preset"));
    for (const auto& preset : modelPresets())
        m_preset->addItem(QString::fromStdString(preset.name));
    m_preset->addItem(tr("custom"));
    m_flavour = new QComboBox(this);
    m_flavour->setObjectName(QStringLiteral("flavour"));
    addWordItem(m_flavour, model::flavourWords, model::Flavour::Gpt2,
                tr("gpt2 (LayerNorm, learned positions, GELU)"));
    addWordItem(m_flavour, model::flavourWords, model::Flavour::Llama,
                tr("llama (RMSNorm, rotary, SwiGLU, GQA)"));
    m_layers = spinBox(this, "layers", train::ranges::layers);
    m_heads = spinBox(this, "heads", train::ranges::heads);
    m_kvHeads = spinBox(this, "kvHeads", train::ranges::kvHeads);
    m_kvHeads->setSpecialValueText(tr("same as heads"));
    m_dim = spinBox(this, "dim", train::ranges::dim);
    m_context = spinBox(this, "contextLength", train::ranges::contextLength);
    m_tie = new QCheckBox(tr("lm_head shares the token embedding"), this);
    m_tie->setObjectName(QStringLiteral("tieEmbeddings"));
    m_tie->setChecked(true);
    m_size = new QLabel(this);
    m_size->setObjectName(QStringLiteral("modelSize"));
    m_size->setWordWrap(true);
    m_size->setToolTip(tr("Memory: 16 bytes per parameter (fp32 weights, gradients and AdamW's "
                          "two moments) plus activations kept for backward (about "
                          "34*batch*ctx*dim + 5*batch*heads*ctx^2 bytes per layer) plus fp32 "
                          "logits and their gradient. The batch size is set on the Optimisation "
                          "page, which shows this estimate again as it changes."));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("modelMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020"));

    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Preset"), m_preset);
    layout->addRow(tr("Flavour"), m_flavour);
    layout->addRow(tr("Layers"), m_layers);
    layout->addRow(tr("Heads"), m_heads);
    m_kvHeadsLabel = new QLabel(tr("KV heads"), this);
    layout->addRow(m_kvHeadsLabel, m_kvHeads);
    layout->addRow(tr("Width (dim)"), m_dim);
    layout->addRow(tr("Context length"), m_context);
    layout->addRow(tr("Embeddings"), m_tie);
    layout->addRow(m_size);
    layout->addRow(m_message);

    registerField(QStringLiteral("preset"), m_preset, "currentText",
                  SIGNAL(currentTextChanged(QString)));
    registerField(QStringLiteral("flavour"), m_flavour, "currentIndex",
                  SIGNAL(currentIndexChanged(int)));

    connect(m_preset, &QComboBox::currentIndexChanged, this, &WizardModelPage::applyPreset);
    auto changed = [this] {
        refresh();
        Q_EMIT completeChanged();
    };
    connect(m_flavour, &QComboBox::currentIndexChanged, this, changed);
    for (QSpinBox* box : {m_layers, m_heads, m_kvHeads, m_dim, m_context})
        connect(box, &QSpinBox::valueChanged, this, changed);
    connect(m_tie, &QCheckBox::toggled, this, changed);
    m_preset->setCurrentIndex(1); // small
    applyPreset(m_preset->currentIndex());
}

void WizardModelPage::applyPreset(int index)
{
    const auto& presets = modelPresets();
    const bool custom = index < 0 || size_t(index) >= presets.size();
    if (!custom) {
        const auto& preset = presets[size_t(index)];
        m_layers->setValue(int(preset.layers));
        m_heads->setValue(int(preset.heads));
        m_kvHeads->setValue(0);
        m_dim->setValue(int(preset.dim));
        m_context->setValue(int(preset.contextLength));
    }
    for (QSpinBox* box : {m_layers, m_heads, m_dim, m_context})
        box->setReadOnly(!custom);
    refresh();
    Q_EMIT completeChanged();
}

void WizardModelPage::initializePage()
{
    refresh(); // the tokenizer (vocabulary) may have changed since construction
}

model::ModelConfig WizardModelPage::modelConfig() const
{
    model::ModelConfig config;
    config.flavour = chosenWord(m_flavour, model::flavourWords);
    const bool llama = config.flavour == model::Flavour::Llama;
    const int64_t vocab = m_data ? m_data->vocabSize() : 0;
    config.vocabSize = vocab > 0 ? vocab : fallbackVocabSize;
    config.contextLength = m_context->value();
    config.layers = m_layers->value();
    config.heads = m_heads->value();
    config.kvHeads = llama ? m_kvHeads->value() : 0;
    config.dim = m_dim->value();
    config.tieEmbeddings = m_tie->isChecked();
    return config;
}

QString WizardModelPage::problem() const
{
    const auto config = modelConfig();
    if (config.dim % config.heads != 0)
        return tr("Width (dim) %1 is not divisible by heads %2: each head gets dim / heads "
                  "channels. Try dim %3.")
            .arg(config.dim)
            .arg(config.heads)
            .arg((config.dim / config.heads + 1) * config.heads);
    if (config.heads % config.kvHeadCount() != 0)
        return tr("Heads %1 is not a multiple of KV heads %2: query heads are shared out evenly "
                  "over the key/value heads.")
            .arg(config.heads)
            .arg(config.kvHeadCount());
    try {
        config.validate();
    } catch (const Error& error) {
        return QString::fromUtf8(error.what());
    }
    return {};
}

void WizardModelPage::refresh()
{
    const bool llama = chosenWord(m_flavour, model::flavourWords) == model::Flavour::Llama;
    m_kvHeads->setVisible(llama);
    m_kvHeadsLabel->setVisible(llama);
    const QString text = problem();
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
    if (!text.isEmpty()) {
        m_size->clear();
        return;
    }
    const auto config = modelConfig();
    m_size->setText(tr("%1 parameters (vocab %2)\n%3 (set on the Optimisation page)")
                        .arg(QLocale().toString(qint64(model::parameterCount(config))))
                        .arg(QLocale().toString(qint64(config.vocabSize)))
                        .arg(memoryEstimate(m_batchSize)));
}

QString WizardModelPage::memoryEstimate(int64_t batchSize, bool activationCheckpointing) const
{
    if (!problem().isEmpty()) return {};
    return tr("Training memory about %1 at batch size %2")
        .arg(QLocale().formattedDataSize(
            trainingMemoryBytes(modelConfig(), batchSize, activationCheckpointing)))
        .arg(batchSize);
}

void WizardModelPage::setBatchSize(int64_t batchSize)
{
    m_batchSize = batchSize;
    refresh();
}

bool WizardModelPage::isComplete() const
{
    return problem().isEmpty();
}

bool WizardModelPage::validatePage()
{
    refresh();
    return problem().isEmpty();
}

} // namespace rlhf::widgets
