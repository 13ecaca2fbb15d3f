#include "widgets/stagewizard/wizardrewardmodelpage.h"

#include "core/store/project.h"
#include "core/train/option_ranges.h"
#include "core/train/reward_config.h"
#include "widgets/stagewizard/wizardfields.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <exception>
#include <initializer_list>

namespace rlhf::widgets {

namespace {

namespace ranges = train::ranges;

constexpr int datasetIdRole = Qt::UserRole + 1; // a dataset entry's database id

} // namespace

WizardRewardModelPage::WizardRewardModelPage(const QString& projectPath, QWidget* parent)
    : QWizardPage(parent), m_projectPath(projectPath)
{
    setTitle(tr("Reward model"));
    setSubTitle(tr("How the reward model scores a reply, and an optional check on the replies "
                   "PPO will start from."));
    m_message = messageLabel(this, "rewardModelMessage");
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(scoreBox());
    layout->addWidget(onPolicyBox());
    layout->addWidget(m_message);
    layout->addStretch(1);
    loadDatasets();

    connect(m_likelihood, &QCheckBox::toggled, this, [this](bool on) {
        m_likelihoodInit->setEnabled(on);
        changed();
    });
    connect(m_likelihoodInit, &QLineEdit::textChanged, this, &WizardRewardModelPage::changed);
    connect(m_dataset, &QComboBox::currentIndexChanged, this, [this] {
        refreshSplits();
        changed();
    });
    connect(m_split, &QComboBox::currentIndexChanged, this, &WizardRewardModelPage::changed);
    changed();
}

QGroupBox* WizardRewardModelPage::scoreBox()
{
    const train::RewardConfig defaults;
    auto* box = new QGroupBox(tr("Score"), this);
    m_likelihood = new QCheckBox(tr("Score with the model's own likelihood of the reply too"), box);
    m_likelihood->setObjectName(QStringLiteral("likelihood"));
    m_likelihood->setChecked(defaults.likelihood);
    m_likelihood->setToolTip(
        tr("The score is the head at the last token plus a learned weight times the mean "
           "log-probability of the reply under the model. The language-model head already "
           "knows which answers are likely, which a new linear head must otherwise learn from "
           "scratch. On by default; off scores with the linear head alone."));
    m_likelihoodInit =
        numberEdit(box, "likelihoodInit", QString::number(defaults.likelihoodInit, 'f', 1),
                   ranges::likelihoodInit,
                   tr("The learned weight's starting value, e.g. 1.0; it is trained with the "
                      "head. An init checkpoint that is a reward model with a weight of its own "
                      "keeps that weight."));
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Likelihood"), m_likelihood);
    form->addRow(tr("Starting weight"), m_likelihoodInit);
    return box;
}

QGroupBox* WizardRewardModelPage::onPolicyBox()
{
    const train::OnPolicyProbe defaults;
    auto* box = new QGroupBox(tr("On-policy check (optional)"), this);
    const QString measures =
        tr("After training, the init model answers prompts of a chat dataset (its last turn is "
           "the reference answer) several times each; replies are judged right or wrong by the "
           "reference, and the report gives the reward model's accuracy on (right, wrong) pairs "
           "of them. That is what PPO will be scored on: the policy's own replies, not the "
           "dataset's pairs.");
    m_dataset = new QComboBox(box);
    m_dataset->setObjectName(QStringLiteral("onPolicyDataset"));
    m_dataset->setToolTip(tr("The project's chat datasets; \"none\" skips the check.\n\n") +
                          measures);
    m_split = new QComboBox(box);
    m_split->setObjectName(QStringLiteral("onPolicySplit"));
    m_split->setToolTip(tr("The split whose prompts are answered; a held-out one (\"test\") "
                           "says how the reward model judges replies it was not trained on."));
    m_prompts = spinBox(box, "onPolicyPrompts", ranges::probePrompts, int(defaults.prompts),
                        tr("Prompts answered, e.g. 200 (fewer when the split is smaller). More "
                           "prompts make the accuracy more precise and the check slower.\n\n") +
                            measures);
    m_samples = spinBox(box, "onPolicySamples", ranges::probeSamples, int(defaults.samples),
                        tr("Replies sampled per prompt at temperature 1, e.g. 4; a prompt "
                           "with both a right and a wrong reply gives pairs, so at least 2."));
    m_maxNewTokens =
        spinBox(box, "onPolicyMaxNewTokens", ranges::rolloutTokens, int(defaults.maxNewTokens),
                tr("The longest reply, in tokens, e.g. 16: as long as PPO's rollouts will be."));
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Dataset"), m_dataset);
    form->addRow(tr("Split"), m_split);
    form->addRow(tr("Prompts"), m_prompts);
    form->addRow(tr("Samples per prompt"), m_samples);
    form->addRow(tr("Max new tokens"), m_maxNewTokens);
    return box;
}

void WizardRewardModelPage::loadDatasets()
{
    const QSignalBlocker blocker(m_dataset);
    m_dataset->addItem(tr("none (no on-policy check)"), QString());
    try {
        auto project = store::Project::open(m_projectPath.toStdString());
        for (const auto& dataset : project.database().datasets()) {
            if (dataset.kind != store::DatasetKind::Chat) continue;
            const QString name = QString::fromStdString(dataset.name);
            m_dataset->addItem(tr("%1 (%2 documents)")
                                   .arg(name, QLocale().toString(qint64(
                                                  project.database().documentCount(dataset.id)))),
                               name);
            m_dataset->setItemData(m_dataset->count() - 1, qint64(dataset.id), datasetIdRole);
        }
    } catch (const std::exception& error) {
        m_loadError = tr("Cannot read the project %1: %2").arg(m_projectPath, error.what());
    }
    refreshSplits();
}

void WizardRewardModelPage::refreshSplits()
{
    const QSignalBlocker blocker(m_split);
    const QString chosen =
        m_split->count() ? m_split->currentData().toString() : QStringLiteral("test");
    m_split->clear();
    const QVariant id = m_dataset->currentData(datasetIdRole);
    for (const char* split : {"train", "val", "test"}) {
        QString text = QLatin1String(split);
        if (id.isValid()) {
            try {
                auto project = store::Project::open(m_projectPath.toStdString());
                const auto count = project.database().documentCount(id.toLongLong(), split);
                text = tr("%1 (%2 documents)").arg(text, QLocale().toString(qint64(count)));
            } catch (const std::exception&) { // the page's message reports an unreadable project
            }
        }
        m_split->addItem(text, QLatin1String(split));
    }
    m_split->setCurrentIndex(std::max(0, m_split->findData(chosen)));
    const bool on = id.isValid();
    for (QWidget* field :
         std::initializer_list<QWidget*>{m_split, m_prompts, m_samples, m_maxNewTokens})
        field->setEnabled(on);
}

QString WizardRewardModelPage::problem() const
{
    if (!m_loadError.isEmpty()) return m_loadError;
    if (m_likelihood->isChecked() && !m_likelihoodInit->hasAcceptableInput())
        return tr("The starting weight must be a number from %1 to %2, e.g. 1.0.")
            .arg(ranges::likelihoodInit.minimum)
            .arg(ranges::likelihoodInit.maximum);
    if (m_split->isEnabled() && m_split->currentText().contains(QLatin1String("(0 ")))
        return tr("The split \"%1\" of %2 is empty: choose another for the on-policy check.")
            .arg(m_split->currentData().toString(), m_dataset->currentData().toString());
    return {};
}

void WizardRewardModelPage::changed()
{
    showMessage(m_message, problem());
    Q_EMIT completeChanged();
}

bool WizardRewardModelPage::isComplete() const
{
    return problem().isEmpty();
}

bool WizardRewardModelPage::validatePage()
{
    changed();
    return isComplete();
}

void WizardRewardModelPage::apply(train::RewardConfig& config) const
{
    config.likelihood = m_likelihood->isChecked();
    if (config.likelihood) config.likelihoodInit = numberOf(m_likelihoodInit);
    const QString dataset = m_dataset->currentData().toString();
    if (dataset.isEmpty()) {
        config.onPolicy.reset();
        return;
    }
    train::OnPolicyProbe& probe = config.onPolicy.emplace();
    probe.dataset = dataset.toStdString();
    probe.split = m_split->currentData().toString().toStdString();
    probe.prompts = m_prompts->value();
    probe.samples = m_samples->value();
    probe.maxNewTokens = m_maxNewTokens->value();
}

} // namespace rlhf::widgets
