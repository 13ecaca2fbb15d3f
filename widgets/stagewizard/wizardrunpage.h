// Run page of the StageWizard: where and how the run executes (device, precision, CPU threads)
// and how often it evaluates and writes checkpoints.
#pragma once

#include <QWizardPage>

class QComboBox;
class QSpinBox;

namespace rlhf::train {
struct TrainingOptions;
}

namespace rlhf::widgets {

class WizardRunPage : public QWizardPage {
    Q_OBJECT

public:
    // CUDA is offered only when `gpuAvailable` (the caller asks the core whether a GPU is there).
    explicit WizardRunPage(bool gpuAvailable, QWidget* parent = nullptr);

    // Sets what this page holds: device, precision, threads, evaluation and checkpoint intervals.
    void apply(train::TrainingOptions& options) const;

private:
    QComboBox* m_device = nullptr; // owned by the page, like every widget below
    QComboBox* m_precision = nullptr;
    QSpinBox* m_threads = nullptr;
    QSpinBox* m_evalEvery = nullptr;
    QSpinBox* m_checkpointEvery = nullptr;
};

} // namespace rlhf::widgets
