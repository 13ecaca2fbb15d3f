#include "widgets/stagewizard/wizardrewardpage.h"

#include "core/store/project.h"
#include "core/train/option_ranges.h"
#include "core/train/rl_config.h"
#include "widgets/stagewizard/rewardshapingfields.h"
#include "widgets/stagewizard/rlpolicyfields.h"
#include "widgets/stagewizard/ruletermseditor.h"
#include "widgets/stagewizard/wizardfields.h"
#include "widgets/stagewizard/wizardstagepage.h"
#include "widgets/stagewizard/wordcombo.h"

#include <QComboBox>
#include <QDir>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <utility>

namespace rlhf::widgets {

namespace {

namespace ranges = train::ranges; // every field's limits: the document's (option_ranges.h)

QFormLayout* formIn(QWidget* widget)
{
    auto* form = new QFormLayout(widget);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    return form;
}

// Gives the label columns of forms stacked in one tab the same width, so their fields line up.
void alignLabels(std::initializer_list<QFormLayout*> forms)
{
    int widest = 0;
    for (QFormLayout* form : forms)
        for (int row = 0; row < form->rowCount(); ++row)
            if (QLayoutItem* label = form->itemAt(row, QFormLayout::LabelRole))
                widest = std::max(widest, label->widget()->sizeHint().width());
    for (QFormLayout* form : forms)
        for (int row = 0; row < form->rowCount(); ++row)
            if (QLayoutItem* label = form->itemAt(row, QFormLayout::LabelRole))
                label->widget()->setMinimumWidth(widest);
}

} // namespace

WizardRewardPage::WizardRewardPage(const QString& projectPath, const WizardStagePage* stage,
                                   QWidget* parent)
    : QWizardPage(parent), m_projectPath(projectPath), m_stagePage(stage)
{
    setTitle(tr("Rewards & KL")); // titles show & as is; tab labels need &&
    setSubTitle(tr("What the policy is rewarded for, how replies are sampled, and how far the "
                   "policy may move from the starting checkpoint."));
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("rewardTabs"));
    m_tabs->addTab(rewardTab(), tr("Reward"));
    m_tabs->addTab(rolloutTab(), tr("Rollout && KL"));
    m_policy = new RlPolicyFields;
    m_policy->setObjectName(QStringLiteral("policyFields"));
    m_tabs->addTab(m_policy, tr("Policy"));
    m_valueTab = valueTab();
    m_tabs->addTab(m_valueTab, tr("Value && ptx"));
    m_message = messageLabel(this, "rewardMessage");
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs, /*stretch=*/1);
    layout->addWidget(m_message);
    loadProject();
    registerField(QStringLiteral("groupSize"), m_groupSize); // the memory estimate reads it

    for (QLineEdit* edit : findChildren<QLineEdit*>())
        connect(edit, &QLineEdit::textChanged, this, &WizardRewardPage::changed);
    for (QSpinBox* box : findChildren<QSpinBox*>())
        connect(box, &QSpinBox::valueChanged, this, &WizardRewardPage::changed);
    for (QComboBox* box : {m_rewardModel, m_klEstimator, m_valueInit, m_ptxTokens})
        connect(box, &QComboBox::currentIndexChanged, this, &WizardRewardPage::changed);
    connect(m_rules, &RuleTermsEditor::changed, this, &WizardRewardPage::changed);
    connect(m_policy, &RlPolicyFields::changed, this, &WizardRewardPage::changed);
    connect(m_shaping, &RewardShapingFields::changed, this, &WizardRewardPage::changed);
    connect(m_rewardModel, &QComboBox::currentIndexChanged, m_shaping,
            [this] { m_shaping->setMainModel(m_rewardModel->currentData().toString()); });
    m_shaping->setMainModel(m_rewardModel->currentData().toString());
}

QWidget* WizardRewardPage::rewardTab()
{
    auto* tab = new QWidget;
    m_rewardModel = new QComboBox(tab);
    m_rewardModel->setObjectName(QStringLiteral("rewardModel"));
    m_rewardModel->setToolTip(tr("A checkpoint of a reward-model run that scores each reply; "
                                 "\"none\" rewards by the rules alone."));
    m_modelWeight =
        numberEdit(tab, "rewardModelWeight", QStringLiteral("1.0"), ranges::rewardWeight,
                   tr("Multiplies the reward model's score before the rule terms "
                      "are added."));
    m_shaping = new RewardShapingFields(tab);
    m_shaping->setObjectName(QStringLiteral("rewardShaping"));
    m_rules = new RuleTermsEditor(tab);
    m_rules->setObjectName(QStringLiteral("ruleTerms"));
    m_eosPenalty = numberEdit(tab, "missingEosPenalty", QStringLiteral("0"), ranges::rewardWeight,
                              tr("Added to the reward of a reply that ran out of tokens without "
                                 "closing its turn (no <|end|>); negative, e.g. -1, discourages "
                                 "rambling. 0 is off."));
    auto* form = formIn(tab);
    form->addRow(tr("Reward model"), m_rewardModel);
    form->addRow(tr("Model weight"), m_modelWeight);
    form->addRow(tr("Ensemble"), m_shaping);
    form->addRow(tr("Rule terms"), m_rules);
    form->addRow(tr("Missing-EOS penalty"), m_eosPenalty);
    return tab;
}

QWidget* WizardRewardPage::rolloutTab()
{
    auto* tab = new QWidget;
    auto* rollout = new QGroupBox(tr("Rollout sampling"), tab);
    m_maxNewTokens = spinBox(rollout, "maxNewTokens", ranges::rolloutTokens, 16,
                             tr("The longest reply sampled per prompt, in tokens."));
    m_temperature =
        numberEdit(rollout, "temperature", QStringLiteral("1.0"), ranges::rolloutTemperature,
                   tr("Sampling temperature (> 0): below 1 sharpens, above 1 "
                      "flattens the policy's distribution. RL usually samples at 1."));
    m_topK = spinBox(rollout, "topK", ranges::topK, 0,
                     tr("Sample only from the k most likely tokens; off keeps all."));
    m_topK->setSpecialValueText(tr("off"));
    m_topP = numberEdit(rollout, "topP", QStringLiteral("1.0"), ranges::topP,
                        tr("Nucleus sampling: the smallest set of tokens whose probability "
                           "reaches p, in (0, 1]; 1 is off."));
    m_groupSize = spinBox(rollout, "groupSize", ranges::groupSize, 8,
                          tr("GRPO: replies sampled per prompt; each is scored against its "
                             "group's mean and spread, so at least 2."));
    m_rolloutForm = formIn(rollout);
    m_rolloutForm->addRow(tr("Max new tokens"), m_maxNewTokens);
    m_rolloutForm->addRow(tr("Temperature"), m_temperature);
    m_rolloutForm->addRow(tr("Top-k"), m_topK);
    m_rolloutForm->addRow(tr("Top-p"), m_topP);
    m_rolloutForm->addRow(tr("Group size"), m_groupSize);

    auto* kl = new QGroupBox(tr("KL control"), tab);
    m_klEstimator = new QComboBox(kl);
    m_klEstimator->setObjectName(QStringLiteral("klEstimator"));
    addWordItem(m_klEstimator, train::klEstimatorWords, train::KlEstimator::K1,
                tr("k1: log ratio"));
    addWordItem(m_klEstimator, train::klEstimatorWords, train::KlEstimator::K3,
                tr("k3: ratio - 1 - log ratio (never negative)"));
    m_klEstimator->setToolTip(tr("How the KL divergence from the reference is estimated per "
                                 "token (Schulman's k1 / k3); PPO usually k1, GRPO k3."));
    m_klCoef = numberEdit(kl, "klCoef", QStringLiteral("0.05"), ranges::klCoef,
                          tr("Weight of the KL penalty: larger keeps the policy nearer the "
                             "starting checkpoint. PPO subtracts it from the per-token reward, "
                             "GRPO adds it to the loss."));
    m_klTarget = numberEdit(kl, "klTarget", QStringLiteral("0"), ranges::klTarget,
                            tr("Above 0, the coefficient adapts to keep the KL per reply near "
                               "this target (Ziegler et al. 2019); 0 keeps it fixed."));
    m_klHorizon = numberEdit(kl, "klHorizon", QStringLiteral("10000"), ranges::klHorizon,
                             tr("Adaptive KL: how many samples the coefficient takes to move "
                                "towards the target; larger adapts more slowly."));
    auto* klForm = formIn(kl);
    klForm->addRow(tr("Estimator"), m_klEstimator);
    klForm->addRow(tr("Coefficient"), m_klCoef);
    klForm->addRow(tr("Adaptive target"), m_klTarget);
    klForm->addRow(tr("Adaptive horizon"), m_klHorizon);
    alignLabels({m_rolloutForm, klForm});

    auto* layout = new QVBoxLayout(tab);
    layout->addWidget(rollout);
    layout->addWidget(kl);
    layout->addStretch(1);
    return tab;
}

QWidget* WizardRewardPage::valueTab()
{
    auto* tab = new QWidget;
    auto* value = new QGroupBox(tr("Value model (PPO)"), tab);
    m_valueInit = new QComboBox(value);
    m_valueInit->setObjectName(QStringLiteral("valueInit"));
    addWordItem(m_valueInit, train::valueInitWords, train::ValueInit::RewardModel,
                tr("reward model"));
    addWordItem(m_valueInit, train::valueInitWords, train::ValueInit::Policy,
                tr("policy (init checkpoint)"));
    m_valueInit->setToolTip(tr("Where the value model's weights start: the reward model's (it "
                               "already scores replies) or the init checkpoint's with a new "
                               "head (needed with rules only)."));
    m_valueLr = numberEdit(value, "valueLr", QStringLiteral("0"), ranges::valueLr,
                           tr("The value model's learning rate; 0 uses the policy's."));
    m_valueClip = numberEdit(value, "valueClipRange", QStringLiteral("0.2"), ranges::valueClipRange,
                             tr("New value predictions are clipped to the old ones +/- this."));
    m_gamma = numberEdit(value, "gamma", QStringLiteral("1.0"), ranges::discount,
                         tr("Discount per token in [0, 1]; 1 counts the end reward fully at "
                            "every token."));
    m_lambda = numberEdit(value, "lambda", QStringLiteral("0.95"), ranges::discount,
                          tr("GAE lambda in [0, 1]: lower trusts the value model more (less "
                             "variance, more bias)."));
    auto* valueForm = formIn(value);
    valueForm->addRow(tr("Initialise from"), m_valueInit);
    valueForm->addRow(tr("Learning rate"), m_valueLr);
    valueForm->addRow(tr("Clip range"), m_valueClip);
    valueForm->addRow(tr("Gamma"), m_gamma);
    valueForm->addRow(tr("Lambda"), m_lambda);

    auto* ptx = new QGroupBox(tr("Pretraining mix (PPO-ptx)"), tab);
    m_ptxCoef = numberEdit(ptx, "ptxCoef", QStringLiteral("0"), ranges::ptxCoef,
                           tr("Weight of a next-token loss on pretraining tokens added to the "
                              "PPO loss (InstructGPT's ptx), against forgetting; 0 is off."));
    m_ptxTokens = new QComboBox(ptx);
    m_ptxTokens->setObjectName(QStringLiteral("ptxTokens"));
    m_ptxTokens->setToolTip(tr("The project's token file (tokens/*.u32) the ptx loss reads."));
    auto* ptxForm = formIn(ptx);
    ptxForm->addRow(tr("Coefficient"), m_ptxCoef);
    ptxForm->addRow(tr("Token file"), m_ptxTokens);
    alignLabels({valueForm, ptxForm});

    auto* layout = new QVBoxLayout(tab);
    layout->addWidget(value);
    layout->addWidget(ptx);
    layout->addStretch(1);
    return tab;
}

void WizardRewardPage::loadProject()
{
    m_rewardModel->addItem(tr("none (rules only)"), QString());
    m_ptxTokens->addItem(tr("none"), QString());
    try {
        auto project = store::Project::open(m_projectPath.toStdString());
        const auto& database = project.database();
        const auto runs = database.runs();
        for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
            if (run->stage != store::RunStage::Reward) continue;
            const auto checkpoints = database.checkpoints(run->id);
            for (auto point = checkpoints.rbegin(); point != checkpoints.rend(); ++point) {
                const QString label = tr("run #%1 %2 step %3")
                                          .arg(run->id)
                                          .arg(QString::fromStdString(run->name))
                                          .arg(point->step);
                m_rewardModel->addItem(label, QString::fromStdString(point->path));
                m_shaping->addCheckpoint(label, QString::fromStdString(point->path));
            }
        }
        const QDir tokens(QString::fromStdString(project.paths().tokens().string()));
        for (const QString& file : tokens.entryList({QStringLiteral("*.u32")}, QDir::Files))
            m_ptxTokens->addItem(file, QStringLiteral("tokens/") + file);
    } catch (const std::exception& error) {
        m_loadError = tr("Cannot read the project %1: %2").arg(m_projectPath, error.what());
    }
    // With a reward model the value model starts from it; with rules only it cannot.
    if (m_rewardModel->count() > 1) m_rewardModel->setCurrentIndex(1);
    chooseWord(m_valueInit, train::valueInitWords,
               m_rewardModel->count() > 1 ? train::ValueInit::RewardModel
                                          : train::ValueInit::Policy);
}

void WizardRewardPage::initializePage()
{
    const store::RunStage stage = m_stagePage->stage();
    if (stage != m_stage) { // the core's defaults differ between PPO and GRPO
        const bool grpo = stage == store::RunStage::Grpo;
        const train::RlConfig defaults = train::rlConfigDefaults(stage);
        chooseWord(m_klEstimator, train::klEstimatorWords, defaults.klEstimator);
        m_klCoef->setText(QString::number(defaults.klCoef));
        m_rolloutForm->setRowVisible(m_groupSize, grpo);
        m_policy->setStage(stage);
        m_tabs->setTabVisible(m_tabs->indexOf(m_valueTab), !grpo);
        m_stage = stage;
    }
    changed();
}

QString WizardRewardPage::problem() const
{
    if (!m_loadError.isEmpty()) return m_loadError;
    const bool ppo = m_stage != store::RunStage::Grpo;
    const std::pair<const QLineEdit*, QString> numbers[] = {
        {m_modelWeight, tr("Reward: model weight must be a number, e.g. 1.0.")},
        {m_eosPenalty, tr("Reward: missing-EOS penalty must be a number, e.g. -1.")},
        {m_temperature, tr("Rollout: temperature must be a number above 0, e.g. 1.0.")},
        {m_topP, tr("Rollout: top-p must be in (0, 1], e.g. 0.95.")},
        {m_klCoef, tr("KL: coefficient must be a number from 0, e.g. 0.05.")},
        {m_klTarget, tr("KL: adaptive target must be a number from 0 (off), e.g. 6.")},
        {m_klHorizon, tr("KL: adaptive horizon must be a number above 0, e.g. 10000.")},
        {m_valueLr, tr("Value: learning rate must be a number from 0 (the policy's).")},
        {m_valueClip, tr("Value: clip range must be a number above 0, e.g. 0.2.")},
        {m_gamma, tr("Value: gamma must be in [0, 1], e.g. 1.0.")},
        {m_lambda, tr("Value: lambda must be in [0, 1], e.g. 0.95.")},
        {m_ptxCoef, tr("ptx: coefficient must be a number from 0 (off).")},
    };
    for (const auto& [edit, message] : numbers) {
        const bool valueTab = edit == m_valueLr || edit == m_valueClip || edit == m_gamma ||
                              edit == m_lambda || edit == m_ptxCoef;
        if (valueTab && !ppo) continue;
        if (!edit->hasAcceptableInput()) return message;
    }
    for (const auto& [edit, message] : {numbers[2], numbers[3], numbers[6]})
        if (numberOf(edit) <= 0) return message;
    if (const QString policy = m_policy->problem(m_groupSize->value()); !policy.isEmpty())
        return policy;
    if (ppo && numberOf(m_valueClip) <= 0) return numbers[8].second;
    const bool model = !m_rewardModel->currentData().toString().isEmpty();
    if (!model && m_rules->count() == 0)
        return tr("Reward: no reward source. Choose a reward model, add a rule term, or both.");
    if (const QString shaping = m_shaping->problem(); !shaping.isEmpty()) return shaping;
    if (const QString rules = m_rules->problem(); !rules.isEmpty())
        return tr("Reward: %1").arg(rules);
    if (ppo && !model &&
        chosenWord(m_valueInit, train::valueInitWords) == train::ValueInit::RewardModel)
        return tr("Value: initialising from the reward model needs a reward model; choose one "
                  "on the Reward tab, or initialise the value model from the policy.");
    if (ppo && numberOf(m_ptxCoef) > 0 && m_ptxTokens->currentData().toString().isEmpty())
        return tr("ptx: a coefficient above 0 needs a token file.");
    return {};
}

void WizardRewardPage::changed()
{
    showMessage(m_message, problem());
    Q_EMIT completeChanged();
}

bool WizardRewardPage::isComplete() const
{
    return problem().isEmpty();
}

bool WizardRewardPage::validatePage()
{
    changed();
    return isComplete();
}

void WizardRewardPage::apply(train::RlConfig& config) const
{
    config.rewardModel = m_rewardModel->currentData().toString().toStdString();
    config.rewardModelWeight = numberOf(m_modelWeight);
    config.rules = m_rules->terms();
    config.missingEosPenalty = numberOf(m_eosPenalty);
    m_shaping->apply(config);
    config.rollout.maxNewTokens = m_maxNewTokens->value();
    config.rollout.temperature = numberOf(m_temperature);
    config.rollout.topK = m_topK->value();
    config.rollout.topP = numberOf(m_topP);
    config.groupSize = m_stage == store::RunStage::Grpo ? m_groupSize->value() : 1;
    config.klEstimator = chosenWord(m_klEstimator, train::klEstimatorWords);
    config.klCoef = numberOf(m_klCoef);
    config.klTarget = numberOf(m_klTarget);
    config.klHorizon = numberOf(m_klHorizon);
    config.valueInit = chosenWord(m_valueInit, train::valueInitWords);
    config.valueLr = numberOf(m_valueLr);
    config.valueClipRange = numberOf(m_valueClip);
    config.gamma = numberOf(m_gamma);
    config.lambda = numberOf(m_lambda);
    config.ptxCoef = numberOf(m_ptxCoef);
    config.ptxTokens = m_ptxTokens->currentData().toString().toStdString();
    m_policy->apply(config); // last: GRPO's gamma is the policy tab's, not the value tab's
}

} // namespace rlhf::widgets
