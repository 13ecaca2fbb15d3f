// "Start from" page of the StageWizard for the stages after pretraining (sft, reward, dpo, ppo,
// grpo): the checkpoint the model starts from (any run's, from the project database), its
// tokenizer, the dataset of the kind the stage needs with its train and validation splits
// (document counts shown), and the longest sequence. The model shape is the checkpoint's.
#pragma once

#include "core/model/model_config.h"
#include "core/store/records.h"

#include <QWizardPage>

#include <optional>

class QComboBox;
class QFormLayout;
class QLabel;
class QSpinBox;

namespace rlhf::train {
struct FineTuneConfig;
}

namespace rlhf::widgets {

class LabelFilterFields;
class WizardStagePage;

class WizardStartPage : public QWizardPage {
    Q_OBJECT

public:
    // `stage` says which stage is being configured; it outlives this page.
    WizardStartPage(const QString& projectPath, const WizardStagePage* stage,
                    QWidget* parent = nullptr);

    void initializePage() override;
    bool isComplete() const override;
    bool validatePage() override;

    // Writes init, tokenizer, data and max_length into `config` (project-relative paths).
    void apply(train::FineTuneConfig& config) const;
    // The chosen checkpoint's shape (its config.json); empty when it cannot be read.
    std::optional<model::ModelConfig> modelConfig() const;
    int maxLength() const; // 0: the model's context

private:
    static constexpr int labelsRole = Qt::UserRole + 2; // the "labels of this project" entry
    bool usesLabels() const;
    QString problem() const; // empty when the choices are usable
    void loadCheckpoints();
    void loadDatasets(store::RunStage stage);
    void refreshSplits();
    void refresh();

    QString m_projectPath;
    const WizardStagePage* m_stagePage = nullptr; // not owned
    std::optional<store::RunStage> m_loadedStage; // the stage the dataset list was made for
    QString m_loadError;
    QComboBox* m_init = nullptr; // owned by the page, like every widget below
    QLabel* m_shape = nullptr;
    QComboBox* m_tokenizer = nullptr;
    QComboBox* m_dataset = nullptr;
    QComboBox* m_train = nullptr;
    QComboBox* m_val = nullptr;
    QSpinBox* m_maxLength = nullptr;
    QLabel* m_message = nullptr;
    LabelFilterFields* m_labels = nullptr; // shown for "labels of this project"
    QFormLayout* m_form = nullptr;
};

} // namespace rlhf::widgets
