#include "widgets/stagewizard/wizarddpopage.h"

#include "core/train/dpo_config.h"
#include "core/train/option_ranges.h"
#include "widgets/stagewizard/wizardfields.h"
#include "widgets/stagewizard/wordcombo.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>

namespace rlhf::widgets {

WizardDpoPage::WizardDpoPage(QWidget* parent) : QWizardPage(parent)
{
    setTitle(tr("Preference optimisation"));
    setSubTitle(tr("How strongly the policy stays near the starting checkpoint."));
    m_beta = numberEdit(this, "dpoBeta", QStringLiteral("0.1"), train::ranges::dpoBeta,
                        tr("Strength of the KL anchor to the starting checkpoint (the frozen "
                           "reference): larger keeps the policy closer to it. Typical 0.1; IPO "
                           "often uses smaller values such as 0.01."));
    m_loss = new QComboBox(this);
    m_loss->setObjectName(QStringLiteral("dpoLoss"));
    using train::PreferenceLoss;
    addWordItem(m_loss, train::preferenceLossWords, PreferenceLoss::Dpo,
                tr("dpo: -log sigmoid(beta * margin)"));
    addWordItem(m_loss, train::preferenceLossWords, PreferenceLoss::Ipo,
                tr("ipo: (margin - 1 / (2 beta))^2"));
    m_loss->setToolTip(tr("DPO (Rafailov et al. 2023) pushes the chosen reply's log-ratio above "
                          "the rejected one's without bound; IPO (Azar et al. 2023) regresses "
                          "the margin to a fixed target, which resists over-fitting "
                          "deterministic preferences."));
    m_message = messageLabel(this, "dpoMessage");

    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Beta"), m_beta);
    layout->addRow(tr("Loss"), m_loss);
    layout->addRow(m_message);
    connect(m_beta, &QLineEdit::textChanged, this, [this] {
        showMessage(m_message, problem());
        Q_EMIT completeChanged();
    });
}

QString WizardDpoPage::problem() const
{
    if (!m_beta->hasAcceptableInput() || numberOf(m_beta) <= 0)
        return tr("Beta must be a number above 0, e.g. 0.1.");
    return {};
}

bool WizardDpoPage::isComplete() const
{
    return problem().isEmpty();
}

bool WizardDpoPage::validatePage()
{
    showMessage(m_message, problem());
    return isComplete();
}

void WizardDpoPage::apply(train::DpoConfig& config) const
{
    config.beta = numberOf(m_beta);
    config.loss = chosenWord(m_loss, train::preferenceLossWords);
}

} // namespace rlhf::widgets
