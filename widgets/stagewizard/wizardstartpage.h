// "Start from" page of the StageWizard for the stages after pretraining (sft, reward, dpo, ppo,
// grpo): the checkpoint the model starts from (any run's, from the project database; for DPO,
// PPO and GRPO the newest checkpoint of the newest completed SFT run when there is one, else the
// newest of all), its tokenizer, the dataset of the kind the stage needs with its train and
// validation splits (document counts shown; "val" by default), the longest sequence, and LoRA
// (adapters on the frozen model, on by default for a model whose full fine-tuning would not
// fit). The model shape is the checkpoint's.
#pragma once

#include "core/model/model_config.h"
#include "core/store/records.h"

#include <QWizardPage>

#include <functional>
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
class LoraFields;
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
    LoraFields* lora() const { return m_lora; }
    // Asked whenever another checkpoint is chosen: true turns LoRA on (full fine-tuning of that
    // shape would not fit the device).
    void setLoraSuggestion(std::function<bool(const model::ModelConfig&)> tooBigForFull)
    {
        m_tooBigForFull = std::move(tooBigForFull);
    }

private:
    static constexpr int labelsRole = Qt::UserRole + 2; // the "labels of this project" entry
    // On an init entry: its run's stage (store::RunStage as int; none for a base model), and
    // whether that run completed.
    static constexpr int runStageRole = Qt::UserRole + 3;
    static constexpr int completedRole = Qt::UserRole + 4;
    // The stage's usual starting point: an SFT checkpoint for the stages that refine a chat
    // policy against a reference (DPO, PPO, GRPO), else the newest checkpoint.
    void selectDefaultInit(store::RunStage stage);
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
    LoraFields* m_lora = nullptr;
    std::function<bool(const model::ModelConfig&)> m_tooBigForFull;
    QString m_suggestedFor; // the checkpoint LoRA was last suggested for
    QFormLayout* m_form = nullptr;
};

} // namespace rlhf::widgets
