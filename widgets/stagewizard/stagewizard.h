// The wizard that writes a stage document (runs/<name>.json) for a project: stage and name, then
// for pretrain the data and model shape, for the later stages (sft, reward, dpo, ppo, grpo) the
// checkpoint and data to start from and the stage's own settings (the reward model's score and
// on-policy check, DPO's beta, PPO / GRPO's rewards and KL), then optimisation, run settings and a
// checked preview. Its last button, "Start run", writes the document and closes the wizard
// accepted: startsRun() and runRequested() tell the caller to start training it (the studio's run
// view); `rlhf train` runs the same document from a terminal. Torch-free header.
#pragma once

#include "core/model/model_config.h"
#include "core/model/torch_runtime.h"
#include "core/store/records.h"
#include "widgets/stagewizard/launchcommands.h"

#include <nlohmann/json_fwd.hpp>

#include <QWizard>

#include <cstdint>
#include <vector>

namespace rlhf::widgets {

class WizardDataPage;
class WizardDpoPage;
class WizardModelPage;
class WizardRewardModelPage;
class WizardRewardPage;
class WizardRunPage;
class WizardStagePage;
class WizardStartPage;

class StageWizard : public QWizard {
    Q_OBJECT

public:
    // In the order the pages are shown, so pageIds().last() is the summary.
    enum PageId {
        StagePage,
        DataPage,        // pretrain only
        ModelPage,       // pretrain only
        StartPage,       // the stages after pretrain: init checkpoint and data
        DpoPage,         // dpo only
        RewardModelPage, // reward only
        RewardPage,      // ppo and grpo only
        OptimisationPage,
        RunPage,
        SummaryPage,
    };

    // `projectPath` is a project folder (holding project.sqlite). The run page offers `gpus`
    // (model::cudaDevices()) and the CPU.
    StageWizard(const QString& projectPath, std::vector<model::GpuInfo> gpus,
                QWidget* parent = nullptr);

    // The stage being configured.
    store::RunStage stage() const;
    // The stage document as currently entered, in the CLI's format.
    nlohmann::json document() const;
    // Where Finish writes it: <project>/runs/<name>.json (absolute).
    QString documentPath() const;
    // `rlhf train -p '<project>' '<document>' [--nproc N]`, shell-quoted, for a terminal.
    QString command() const;
    // The launch settings of the run page (processes, machines, device) with this document.
    LaunchSettings launchSettings() const;
    // Why the CLI would refuse document() (validateStageDocument's message); empty when valid.
    QString validationError() const;
    // The model's training-memory estimate at the chosen batch size (see modelpresets.h), with
    // activation checkpointing when chosen, checked against the chosen device's memory.
    QString memoryEstimate() const;
    QString memoryEstimateAt(int64_t batchSize) const;
    // What one unit of training.batch_size is for this stage: "sequences", "pairs", "prompts".
    QString batchUnit() const;

    // Exact trainable parameter count of a model shape (see modelpresets.h for the formula).
    static int64_t parameterCount(const model::ModelConfig& config);

    int nextId() const override; // skips the pages of other stages
    // Start run: writes document() to documentPath(), emits runRequested and closes accepted;
    // stays open with a message when the document is refused or cannot be written.
    void accept() override;
    // Writes document() to documentPath() (making runs/ when missing); false, with the reason in
    // `problem`, when it cannot. The run name stays usable on the Stage page afterwards: the
    // document that now exists is this wizard's own.
    bool writeDocument(QString& problem);
    // True once Start run has written the document and the wizard closed: the caller starts
    // the run (and shows its dashboard).
    bool startsRun() const { return m_startsRun; }

Q_SIGNALS:
    // Start run wrote `documentPath`; emitted just before the wizard closes accepted.
    void runRequested(const QString& documentPath);

private:
    // "; fits in the 24 GB of cuda:0 (NVIDIA ...)" or what to change when it does not.
    QString deviceCheck(int64_t bytes, bool checkpointing) const;
    nlohmann::json pretrainDocument() const;
    nlohmann::json fineTuneDocument() const;

    QString m_projectPath;
    WizardStagePage* m_stage = nullptr; // owned by the wizard, like the pages below
    WizardDataPage* m_data = nullptr;
    WizardModelPage* m_model = nullptr;
    WizardRunPage* m_run = nullptr;
    WizardStartPage* m_start = nullptr;
    WizardDpoPage* m_dpo = nullptr;
    WizardRewardModelPage* m_rewardModel = nullptr;
    WizardRewardPage* m_reward = nullptr;
    bool m_startsRun = false;
};

} // namespace rlhf::widgets
