// DPO page of the StageWizard: the strength of the KL anchor (beta) and the loss, DPO's
// log-sigmoid or IPO's squared margin.
#pragma once

#include <QWizardPage>

class QComboBox;
class QLabel;
class QLineEdit;

namespace rlhf::train {
struct DpoConfig;
}

namespace rlhf::widgets {

class WizardDpoPage : public QWizardPage {
    Q_OBJECT

public:
    explicit WizardDpoPage(QWidget* parent = nullptr);

    bool isComplete() const override;
    bool validatePage() override;

    void apply(train::DpoConfig& config) const; // beta and loss

private:
    QString problem() const; // empty when beta is usable

    QLineEdit* m_beta = nullptr; // owned by the page, like every widget below
    QComboBox* m_loss = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace rlhf::widgets
