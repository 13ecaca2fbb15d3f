#include "widgets/stagewizard/rewardshapingfields.h"

#include "core/train/option_ranges.h"
#include "core/train/rl_config.h"
#include "widgets/stagewizard/wizardfields.h"
#include "widgets/stagewizard/wordcombo.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QListWidget>

namespace rlhf::widgets {

namespace {

namespace ranges = train::ranges;
using train::EnsembleAggregate;
using train::RewardNormalization;

constexpr int pathRole = Qt::UserRole; // an ensemble entry's checkpoint path; none on the note

} // namespace

RewardShapingFields::RewardShapingFields(QWidget* parent) : QWidget(parent)
{
    m_ensemble = new QListWidget(this);
    m_ensemble->setObjectName(QStringLiteral("rewardEnsemble"));
    m_ensemble->setToolTip(
        tr("More reward checkpoints that score each reply beside the reward model above (e.g. "
           "reward runs with other seeds or data). Where they disagree, the policy has found "
           "replies none of them learned to judge: with lcb or min it gains little there, a "
           "defence against over-optimising one model's mistakes (reward hacking; Coste et al. "
           "2023)."));
    // The list takes the height of the fields beside it, and long run names wrap.
    m_ensemble->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Ignored);
    m_ensemble->setWordWrap(true);
    m_ensemble->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* note = new QListWidgetItem(tr("(no other reward checkpoint)"), m_ensemble);
    note->setFlags(Qt::NoItemFlags);

    m_aggregate = new QComboBox(this);
    m_aggregate->setObjectName(QStringLiteral("rewardAggregate"));
    addWordItem(m_aggregate, train::ensembleAggregateWords, EnsembleAggregate::Mean, tr("mean"));
    addWordItem(m_aggregate, train::ensembleAggregateWords, EnsembleAggregate::Lcb,
                tr("lcb: mean - k x std"));
    addWordItem(m_aggregate, train::ensembleAggregateWords, EnsembleAggregate::Min,
                tr("min (most cautious)"));
    m_aggregate->setToolTip(
        tr("How the models' scores become one. Mean averages them; lcb (a lower confidence "
           "bound) subtracts k times their spread, so replies the models disagree on score "
           "lower; min takes the lowest. Lcb and min defend against over-optimisation: the "
           "policy cannot profit from a blind spot of one model."));
    m_lcbK = numberEdit(this, "rewardLcbK", QStringLiteral("1.0"), ranges::lcbK,
                        tr("lcb: how many standard deviations of the models' scores below their "
                           "mean, e.g. 1; larger pays more for disagreement."));
    m_normalize = new QComboBox(this);
    m_normalize->setObjectName(QStringLiteral("rewardNormalize"));
    addWordItem(m_normalize, train::rewardNormalizationWords, RewardNormalization::None,
                tr("none"));
    addWordItem(m_normalize, train::rewardNormalizationWords, RewardNormalization::Batch,
                tr("batch: mean 0, std 1 per step"));
    m_normalize->setToolTip(
        tr("Batch: each step's reward-model scores are shifted and scaled to mean 0, std 1. "
           "The KL coefficient then keeps its meaning while the policy drives the reward "
           "model's scale up, so a growing score cannot outweigh the KL anchor."));
    m_clip = numberEdit(this, "rewardClip", QStringLiteral("0"), ranges::rewardClip,
                        tr("Above 0, the reward-model score is clamped to [-clip, clip] (after "
                           "normalising), e.g. 5: no single reply's reward, hacked or not, can "
                           "dominate a step. 0 is off. Rules and the missing-EOS penalty are "
                           "added afterwards."));

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Aggregate"), m_aggregate);
    form->addRow(tr("LCB k"), m_lcbK);
    form->addRow(tr("Normalise"), m_normalize);
    form->addRow(tr("Clip (0: off)"), m_clip);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_ensemble, /*stretch=*/1);
    layout->addLayout(form, /*stretch=*/1);

    connect(m_ensemble, &QListWidget::itemChanged, this, &RewardShapingFields::changed);
    connect(m_aggregate, &QComboBox::currentIndexChanged, this,
            &RewardShapingFields::aggregateChosen);
    connect(m_normalize, &QComboBox::currentIndexChanged, this, &RewardShapingFields::changed);
    for (QLineEdit* edit : {m_lcbK, m_clip})
        connect(edit, &QLineEdit::textChanged, this, &RewardShapingFields::changed);
    m_lcbK->setEnabled(false); // lcb only
    setMainModel({});
}

void RewardShapingFields::addCheckpoint(const QString& label, const QString& path)
{
    auto* item = new QListWidgetItem(label, m_ensemble);
    item->setData(pathRole, path);
    item->setToolTip(path);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    item->setCheckState(Qt::Unchecked);
    setMainModel(m_mainModel);
}

void RewardShapingFields::setMainModel(const QString& path)
{
    m_mainModel = path;
    bool offered = false;
    for (int row = 1; row < m_ensemble->count(); ++row) { // row 0 is the note
        QListWidgetItem* item = m_ensemble->item(row);
        const bool main = item->data(pathRole).toString() == path;
        if (main) item->setCheckState(Qt::Unchecked); // it already scores as the main model
        item->setHidden(main);
        offered = offered || !main;
    }
    m_ensemble->item(0)->setHidden(offered);
    setEnabled(!path.isEmpty());
    Q_EMIT changed();
}

bool RewardShapingFields::lcbChosen() const
{
    return chosenWord(m_aggregate, train::ensembleAggregateWords) == EnsembleAggregate::Lcb;
}

void RewardShapingFields::aggregateChosen()
{
    m_lcbK->setEnabled(lcbChosen());
    Q_EMIT changed();
}

QString RewardShapingFields::problem() const
{
    if (m_mainModel.isEmpty()) return {};
    if (lcbChosen() && !m_lcbK->hasAcceptableInput())
        return tr("Reward: LCB k must be a number from 0 to 100, e.g. 1.0.");
    if (!m_clip->hasAcceptableInput())
        return tr("Reward: clip must be a number from 0 (off), e.g. 5.");
    return {};
}

void RewardShapingFields::apply(train::RlConfig& config) const
{
    if (m_mainModel.isEmpty()) return; // no model score to shape: the defaults
    config.rewardEnsemble.clear();
    for (int row = 1; row < m_ensemble->count(); ++row) {
        const QListWidgetItem* item = m_ensemble->item(row);
        if (!item->isHidden() && item->checkState() == Qt::Checked)
            config.rewardEnsemble.push_back(item->data(pathRole).toString().toStdString());
    }
    auto& shaping = config.rewardShaping;
    shaping.aggregate = chosenWord(m_aggregate, train::ensembleAggregateWords);
    if (lcbChosen()) shaping.lcbK = numberOf(m_lcbK);
    shaping.normalize = chosenWord(m_normalize, train::rewardNormalizationWords);
    shaping.clip = numberOf(m_clip);
}

} // namespace rlhf::widgets
