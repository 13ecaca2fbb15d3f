#include "widgets/stagewizard/rlpolicyfields.h"

#include "core/train/option_ranges.h"
#include "core/train/rl_config.h"
#include "widgets/stagewizard/wizardfields.h"
#include "widgets/stagewizard/wordcombo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

#include <initializer_list>
#include <utility>

namespace rlhf::widgets {

namespace ranges = train::ranges;
using train::AdvantageEstimator;
using train::LossAggregation;

RlPolicyFields::RlPolicyFields(QWidget* parent) : QWidget(parent)
{
    m_epochs = spinBox(this, "policyEpochs", ranges::epochs, 4,
                       tr("Passes over each batch of rollouts before sampling new ones."));
    m_minibatch = spinBox(this, "minibatchSize", ranges::minibatchSize, 0,
                          tr("Rollouts per gradient step within an epoch; the whole batch keeps "
                             "one step per epoch."));
    m_minibatch->setSpecialValueText(tr("the whole batch"));
    m_clipRange = numberEdit(this, "clipRange", QStringLiteral("0.2"), ranges::clipRange,
                             tr("PPO's clip: the probability ratio of new to old policy is kept "
                                "within 1 +/- this, e.g. 0.2."));
    m_clipLow = numberEdit(this, "clipRangeLow", QStringLiteral("0"), ranges::clipRangeSide,
                           tr("The ratio is kept above 1 - this; 0 takes the clip range."));
    m_clipHigh = numberEdit(this, "clipRangeHigh", QStringLiteral("0"), ranges::clipRangeSide,
                            tr("The ratio is kept below 1 + this; 0 takes the clip range. DAPO's "
                               "clip-higher raises it (e.g. 0.28 with a clip range of 0.2), so "
                               "unlikely tokens of good replies can still grow: against "
                               "entropy collapse."));

    m_aggregation = new QComboBox(this);
    m_aggregation->setObjectName(QStringLiteral("lossAggregation"));
    addWordItem(m_aggregation, train::lossAggregationWords, LossAggregation::TokenMean,
                tr("token mean (DAPO)"));
    addWordItem(m_aggregation, train::lossAggregationWords, LossAggregation::SequenceMean,
                tr("mean per reply (GRPO paper)"));
    addWordItem(m_aggregation, train::lossAggregationWords, LossAggregation::SequenceSumNorm,
                tr("sum per reply / max new tokens (Dr. GRPO)"));
    m_aggregation->setToolTip(
        tr("How per-token losses become one number. Token mean: every token of the minibatch "
           "weighs alike, so long replies count more. Mean per reply: each reply weighs alike, "
           "so a token of a short reply counts more. Sum / max new tokens: no length bias."));

    m_whiten = new QCheckBox(tr("normalise advantages to mean 0, variance 1 per batch"), this);
    m_whiten->setObjectName(QStringLiteral("whitenAdvantages"));
    m_whiten->setChecked(true);
    m_whiten->setToolTip(tr("Whitening makes the step size independent of the reward's scale."));

    m_advantage = new QComboBox(this);
    m_advantage->setObjectName(QStringLiteral("advantage"));
    addWordItem(m_advantage, train::advantageWords, AdvantageEstimator::Grpo,
                tr("GRPO: against the group's mean and spread"));
    addWordItem(m_advantage, train::advantageWords, AdvantageEstimator::Rloo,
                tr("RLOO: against the mean of the other replies"));
    addWordItem(m_advantage, train::advantageWords, AdvantageEstimator::DrGrpo,
                tr("Dr. GRPO: against the group's mean, unscaled"));
    addWordItem(m_advantage, train::advantageWords, AdvantageEstimator::ReinforcePlusPlus,
                tr("REINFORCE++: discounted returns, whitened over the batch"));
    m_advantage->setToolTip(
        tr("How each reply's score becomes its advantage, without a value model. GRPO divides "
           "by the group's spread, which favours prompts whose replies barely differ; Dr. GRPO "
           "does not (choose its loss aggregation with it). REINFORCE++ puts the KL penalty into "
           "each token's reward and needs no group: a group size of 1 works."));
    m_gamma = numberEdit(this, "policyGamma", QStringLiteral("1.0"), ranges::discount,
                         tr("REINFORCE++: the discount per token in [0, 1]; 1 counts the score "
                            "fully at every token."));
    m_dynamicSampling = new QCheckBox(tr("drop groups whose replies all scored alike"), this);
    m_dynamicSampling->setObjectName(QStringLiteral("dynamicSampling"));
    m_dynamicSampling->setToolTip(
        tr("DAPO's dynamic sampling: such a group teaches nothing, so more prompts are sampled "
           "(up to 3x the batch) until the batch is full of groups with a spread."));

    m_evalPrompts = spinBox(this, "evalPrompts", ranges::evalPrompts, 256,
                            tr("Validation prompts sampled and scored with the rule reward at "
                               "each evaluation; 0 skips."));

    m_form = new QFormLayout(this);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_form->addRow(tr("Epochs per batch"), m_epochs);
    m_form->addRow(tr("Minibatch (rollouts)"), m_minibatch);
    m_form->addRow(tr("Clip range"), m_clipRange);
    m_form->addRow(tr("Lower clip (0: as above)"), m_clipLow);
    m_form->addRow(tr("Upper clip (0: as above)"), m_clipHigh);
    m_form->addRow(tr("Loss aggregation"), m_aggregation);
    m_form->addRow(tr("Advantages"), m_whiten);
    m_form->addRow(tr("Advantages"), m_advantage);
    m_form->addRow(tr("Discount (gamma)"), m_gamma);
    m_form->addRow(tr("Dynamic sampling"), m_dynamicSampling);
    m_form->addRow(tr("Eval prompts"), m_evalPrompts);

    for (QLineEdit* edit : {m_clipRange, m_clipLow, m_clipHigh, m_gamma})
        connect(edit, &QLineEdit::textChanged, this, &RlPolicyFields::changed);
    for (QSpinBox* box : {m_epochs, m_minibatch, m_evalPrompts})
        connect(box, &QSpinBox::valueChanged, this, &RlPolicyFields::changed);
    connect(m_aggregation, &QComboBox::currentIndexChanged, this, &RlPolicyFields::changed);
    connect(m_advantage, &QComboBox::currentIndexChanged, this, &RlPolicyFields::advantageChosen);
    for (QCheckBox* box : {m_whiten, m_dynamicSampling})
        connect(box, &QCheckBox::toggled, this, &RlPolicyFields::changed);
    m_gamma->setEnabled(false); // REINFORCE++ only
    setStage(m_stage);
}

void RlPolicyFields::setStage(store::RunStage stage)
{
    m_stage = stage;
    const bool grpo = stage == store::RunStage::Grpo;
    m_form->setRowVisible(m_whiten, !grpo); // GRPO's advantages carry their own scale
    for (QWidget* field : std::initializer_list<QWidget*>{m_advantage, m_gamma, m_dynamicSampling})
        m_form->setRowVisible(field, grpo);
}

void RlPolicyFields::advantageChosen()
{
    const AdvantageEstimator advantage = chosenWord(m_advantage, train::advantageWords);
    m_gamma->setEnabled(advantage == AdvantageEstimator::ReinforcePlusPlus);
    // Dr. GRPO's two halves belong together: the unscaled advantage and the unbiased sum.
    if (advantage == AdvantageEstimator::DrGrpo)
        chooseWord(m_aggregation, train::lossAggregationWords, LossAggregation::SequenceSumNorm);
    Q_EMIT changed();
}

QString RlPolicyFields::problem(int64_t groupSize) const
{
    const std::pair<const QLineEdit*, QString> numbers[] = {
        {m_clipRange, tr("Policy: clip range must be a number above 0, e.g. 0.2.")},
        {m_clipLow, tr("Policy: lower clip must be a number from 0 (the clip range), e.g. 0.2.")},
        {m_clipHigh, tr("Policy: upper clip must be a number from 0 (the clip range), e.g. 0.28.")},
        {m_gamma, tr("Policy: gamma must be in [0, 1], e.g. 1.0.")},
    };
    for (const auto& [edit, message] : numbers)
        if (edit->isEnabled() && !edit->hasAcceptableInput()) return message;
    if (numberOf(m_clipRange) <= 0) return numbers[0].second;
    if (m_stage != store::RunStage::Grpo || groupSize >= 2) return {};
    if (chosenWord(m_advantage, train::advantageWords) != AdvantageEstimator::ReinforcePlusPlus)
        return tr("Rollout: a group size of 1 leaves GRPO, RLOO and Dr. GRPO nothing to compare; "
                  "sample at least 2 replies per prompt, or choose REINFORCE++ advantages.");
    if (m_dynamicSampling->isChecked())
        return tr("Policy: dynamic sampling needs a group size of at least 2: a group of one "
                  "reply never has a spread.");
    return {};
}

void RlPolicyFields::apply(train::RlConfig& config) const
{
    const bool grpo = m_stage == store::RunStage::Grpo;
    config.epochs = m_epochs->value();
    config.minibatchSize = m_minibatch->value();
    config.clipRange = numberOf(m_clipRange);
    config.clipRangeLow = numberOf(m_clipLow);
    config.clipRangeHigh = numberOf(m_clipHigh);
    config.lossAggregation = chosenWord(m_aggregation, train::lossAggregationWords);
    config.whitenAdvantages = m_whiten->isChecked();
    if (grpo) {
        config.advantage = chosenWord(m_advantage, train::advantageWords);
        config.gamma = numberOf(m_gamma);
        config.dynamicSampling = m_dynamicSampling->isChecked();
    }
    config.evalPrompts = m_evalPrompts->value();
}

} // namespace rlhf::widgets
