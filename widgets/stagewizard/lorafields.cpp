#include "widgets/stagewizard/lorafields.h"

#include "core/train/option_ranges.h"
#include "widgets/stagewizard/wizardfields.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QSpinBox>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

// The layer choices: the attention projections (LoRA's original choice), or every linear layer
// (QLoRA's recommendation, and the better result at equal rank in most reports).
const std::vector<std::string> attentionLayers{"q_proj", "k_proj", "v_proj", "o_proj", "c_attn"};

} // namespace

LoraFields::LoraFields(QWidget* parent) : QWidget(parent)
{
    m_on = new QCheckBox(tr("Train LoRA adapters on the frozen model (not every weight)"));
    m_on->setObjectName(QStringLiteral("loraOn"));
    m_on->setToolTip(tr("Low-rank adapters: a few million trained parameters instead of all of "
                        "them, so a model several times larger fits; checkpoints hold the "
                        "adapter alone (PEFT's files) on the init model."));
    m_rank = new QSpinBox;
    m_rank->setObjectName(QStringLiteral("loraRank"));
    setRange(m_rank, train::ranges::loraRank);
    m_rank->setValue(16);
    m_rank->setToolTip(tr("Rank of each adapter: its trained parameters grow with it."));
    m_alpha = new QDoubleSpinBox;
    m_alpha->setObjectName(QStringLiteral("loraAlpha"));
    setRange(m_alpha, train::ranges::loraAlpha);
    m_alpha->setValue(32);
    m_alpha->setToolTip(tr("The adapter's output is scaled by alpha / rank (alpha / sqrt(rank) "
                           "with rsLoRA); 2 x rank is the usual choice."));
    m_targets = new QComboBox;
    m_targets->setObjectName(QStringLiteral("loraTargets"));
    m_targets->addItem(tr("every linear layer"), QStringLiteral("all-linear"));
    m_targets->addItem(tr("attention projections only"), QStringLiteral("attention"));
    m_base = new QComboBox;
    m_base->setObjectName(QStringLiteral("loraBase"));
    m_base->addItem(tr("fp32"), int(train::BaseStorage::Float32));
    m_base->addItem(tr("bf16"), int(train::BaseStorage::BFloat16));
    m_base->addItem(tr("nf4, 4-bit (QLoRA)"), int(train::BaseStorage::Nf4));
    m_base->addItem(tr("int8"), int(train::BaseStorage::Int8));
    m_base->setToolTip(tr("How the frozen model's linear layers are held: bf16 takes half of "
                          "fp32's memory, int8 a quarter, nf4 about an eighth; each is turned "
                          "back into the compute precision as it is used."));
    m_dropout = new QDoubleSpinBox;
    m_dropout->setObjectName(QStringLiteral("loraDropout"));
    setRange(m_dropout, train::ranges::loraDropout);
    m_dropout->setSingleStep(0.05);
    m_dropout->setToolTip(tr("Dropout on the adapters' input (SFT, reward, DPO; PPO and GRPO "
                             "need 0)."));
    m_dora = new QCheckBox(tr("DoRA (a learned magnitude per output)"));
    m_dora->setObjectName(QStringLiteral("loraDora"));
    m_rsLora = new QCheckBox(tr("rsLoRA scaling"));
    m_rsLora->setObjectName(QStringLiteral("loraRsLora"));

    m_details = new QWidget;
    auto* form = new QFormLayout(m_details);
    form->setContentsMargins(0, 0, 0, 0);
    auto* shape = new QHBoxLayout;
    shape->addWidget(m_rank);
    shape->addWidget(m_alpha);
    form->addRow(tr("Rank, alpha"), shape);
    form->addRow(tr("Layers"), m_targets);
    form->addRow(tr("Frozen model held in"), m_base);
    form->addRow(tr("Dropout"), m_dropout);
    auto* variants = new QHBoxLayout;
    variants->addWidget(m_dora);
    variants->addWidget(m_rsLora);
    form->addRow(QString(), variants);
    m_details->setEnabled(false);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_on);
    layout->addWidget(m_details);

    connect(m_on, &QCheckBox::toggled, this, [this](bool on) {
        m_details->setEnabled(on);
        Q_EMIT changed();
    });
    for (QSpinBox* box : {m_rank})
        connect(box, &QSpinBox::valueChanged, this, &LoraFields::changed);
    for (QDoubleSpinBox* box : {m_alpha, m_dropout})
        connect(box, &QDoubleSpinBox::valueChanged, this, &LoraFields::changed);
    for (QComboBox* box : {m_targets, m_base})
        connect(box, &QComboBox::currentIndexChanged, this, &LoraFields::changed);
    for (QCheckBox* box : {m_dora, m_rsLora})
        connect(box, &QCheckBox::toggled, this, &LoraFields::changed);
}

bool LoraFields::enabled() const
{
    return m_on->isChecked();
}

void LoraFields::setEnabled(bool on)
{
    m_on->setChecked(on);
}

std::optional<train::LoraOptions> LoraFields::options() const
{
    if (!m_on->isChecked()) return std::nullopt;
    train::LoraOptions options;
    options.adapter.rank = m_rank->value();
    options.adapter.alpha = m_alpha->value();
    options.adapter.dropout = m_dropout->value();
    options.adapter.targetModules = m_targets->currentData().toString() == "all-linear"
                                        ? std::vector<std::string>{"all-linear"}
                                        : attentionLayers;
    options.adapter.dora = m_dora->isChecked();
    options.adapter.rsLora = m_rsLora->isChecked();
    options.base = train::BaseStorage(m_base->currentData().toInt());
    return options;
}

} // namespace rlhf::widgets
