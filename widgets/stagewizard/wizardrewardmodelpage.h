// Reward-model page of the StageWizard (the reward stage only): whether the score adds the model's
// own likelihood of the reply, with the learned weight's starting value, and the optional
// on-policy check on the init model's own replies to a chat dataset's prompts. What it describes
// is the document's "reward_model" and "on_policy" blocks (core/train/reward_config.h).
#pragma once

#include <QWizardPage>

class QCheckBox;
class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace rlhf::train {
struct RewardConfig;
}

namespace rlhf::widgets {

class WizardRewardModelPage : public QWizardPage {
    Q_OBJECT

public:
    // `projectPath` is a project folder: its chat datasets are offered for the on-policy check.
    explicit WizardRewardModelPage(const QString& projectPath, QWidget* parent = nullptr);

    bool isComplete() const override;
    bool validatePage() override;

    // Writes likelihood, likelihood_init and (when a dataset is chosen) on_policy into `config`.
    void apply(train::RewardConfig& config) const;

private:
    QGroupBox* scoreBox();
    QGroupBox* onPolicyBox();
    void loadDatasets();
    void refreshSplits();    // the chosen dataset's splits with their document counts
    QString problem() const; // empty when the page is usable
    void changed();

    QString m_projectPath;
    QString m_loadError;
    QCheckBox* m_likelihood = nullptr; // owned by the page, like every widget below
    QLineEdit* m_likelihoodInit = nullptr;
    QComboBox* m_dataset = nullptr;
    QComboBox* m_split = nullptr;
    QSpinBox* m_prompts = nullptr;
    QSpinBox* m_samples = nullptr;
    QSpinBox* m_maxNewTokens = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace rlhf::widgets
