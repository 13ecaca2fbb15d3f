// "Rewards & KL" page of the StageWizard for PPO and GRPO, in tabs: the reward (a reward-model
// checkpoint with its ensemble and score shaping, RewardShapingFields; rule terms; the
// missing-EOS penalty), rollout sampling and the KL control, the policy update (RlPolicyFields),
// and (PPO only) the value model and the pretraining mix (ptx). It refuses Next without a reward
// source, and for a PPO value model started from a reward model that is absent.
#pragma once

#include "core/store/records.h"

#include <QWizardPage>

#include <optional>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTabWidget;

namespace rlhf::train {
struct RlConfig;
}

namespace rlhf::widgets {

class RewardShapingFields;
class RlPolicyFields;
class RuleTermsEditor;
class WizardStagePage;

class WizardRewardPage : public QWizardPage {
    Q_OBJECT

public:
    // `stage` says whether PPO or GRPO is configured; it outlives this page.
    WizardRewardPage(const QString& projectPath, const WizardStagePage* stage,
                     QWidget* parent = nullptr);

    void initializePage() override;
    bool isComplete() const override;
    bool validatePage() override;

    // Writes the reward, rollout, kl, policy, value, ptx and eval fields into `config`.
    void apply(train::RlConfig& config) const;

private:
    QWidget* rewardTab();
    QWidget* rolloutTab();
    QWidget* valueTab();
    void loadProject();      // reward checkpoints and token files
    QString problem() const; // empty when the page is usable
    void changed();

    QString m_projectPath;
    const WizardStagePage* m_stagePage = nullptr; // not owned
    std::optional<store::RunStage> m_stage;       // the stage the defaults were set for
    QString m_loadError;
    QTabWidget* m_tabs = nullptr; // owned by the page, like every widget below
    QComboBox* m_rewardModel = nullptr;
    QLineEdit* m_modelWeight = nullptr;
    RewardShapingFields* m_shaping = nullptr; // ensemble, aggregate, normalise, clip
    RuleTermsEditor* m_rules = nullptr;
    QLineEdit* m_eosPenalty = nullptr;
    QSpinBox* m_maxNewTokens = nullptr;
    QLineEdit* m_temperature = nullptr;
    QSpinBox* m_topK = nullptr;
    QLineEdit* m_topP = nullptr;
    QSpinBox* m_groupSize = nullptr;
    QFormLayout* m_rolloutForm = nullptr;
    QComboBox* m_klEstimator = nullptr;
    QLineEdit* m_klCoef = nullptr;
    QLineEdit* m_klTarget = nullptr;
    QLineEdit* m_klHorizon = nullptr;
    RlPolicyFields* m_policy = nullptr; // the Policy tab
    QWidget* m_valueTab = nullptr;
    QComboBox* m_valueInit = nullptr;
    QLineEdit* m_valueLr = nullptr;
    QLineEdit* m_valueClip = nullptr;
    QLineEdit* m_gamma = nullptr;
    QLineEdit* m_lambda = nullptr;
    QLineEdit* m_ptxCoef = nullptr;
    QComboBox* m_ptxTokens = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace rlhf::widgets
