// The wizard that writes a stage document (runs/<name>.json) for a project: stage and name,
// data, model shape, optimisation, run settings, then a checked preview. It only writes the
// document; running it is `rlhf train` or the studio's run view. Torch-free header.
#pragma once

#include "core/model/model_config.h"

#include <nlohmann/json_fwd.hpp>

#include <QWizard>

#include <cstdint>

namespace rlhf::widgets {

class WizardDataPage;
class WizardModelPage;
class WizardRunPage;

class StageWizard : public QWizard {
    Q_OBJECT

public:
    enum PageId { StagePage, DataPage, ModelPage, OptimisationPage, RunPage, SummaryPage };

    // `projectPath` is a project folder (holding project.sqlite). CUDA is offered only when
    // `gpuAvailable`.
    StageWizard(const QString& projectPath, bool gpuAvailable, QWidget* parent = nullptr);

    // The stage document as currently entered ("stage": "pretrain"), in the CLI's format.
    nlohmann::json document() const;
    // Where Finish writes it: <project>/runs/<name>.json (absolute).
    QString documentPath() const;
    // `rlhf train -p '<project>' '<document>'`, shell-quoted, for a terminal.
    QString command() const;
    // Why the CLI would refuse document() (pretrainConfigFromJson's message); empty when valid.
    QString validationError() const;
    // The model's training-memory estimate at the chosen batch size (see modelpresets.h).
    QString memoryEstimate() const;

    // Exact trainable parameter count of a model shape (see modelpresets.h for the formula).
    static int64_t parameterCount(const model::ModelConfig& config);

    // Writes document() to documentPath() and closes; stays open with a message on failure.
    void accept() override;

private:
    QString m_projectPath;
    WizardDataPage* m_data = nullptr; // owned by the wizard, like the pages below
    WizardModelPage* m_model = nullptr;
    WizardRunPage* m_run = nullptr;
};

} // namespace rlhf::widgets
