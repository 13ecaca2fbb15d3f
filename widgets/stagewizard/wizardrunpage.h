// Run page of the StageWizard: where and how the run executes (device, precision, CPU threads)
// and how often it evaluates and writes checkpoints.
#pragma once

#include "core/model/torch_runtime.h"

#include <QWizardPage>

#include <vector>

class QCheckBox;
class QComboBox;
class QSpinBox;

namespace rlhf::train {
struct TrainingOptions;
}

namespace rlhf::widgets {

class WizardRunPage : public QWizardPage {
    Q_OBJECT

public:
    // Offers each of `gpus` (the caller asks the core which there are), then the CPU.
    explicit WizardRunPage(std::vector<model::GpuInfo> gpus, QWidget* parent = nullptr);

    // Sets what this page holds: device, precision, threads, activation checkpointing,
    // evaluation and checkpoint intervals.
    void apply(train::TrainingOptions& options) const;

    // The chosen device's memory in bytes (a GPU's own, or this machine's for the CPU) and its
    // name for a message, e.g. "cuda:0 (NVIDIA H200)".
    int64_t deviceMemoryBytes() const;
    QString deviceLabel() const;

    // Data-parallel launch: worker processes per machine, and machines (for torchrun / Slurm).
    int processes() const;
    int machines() const;
    bool onGpu() const;  // a GPU is the chosen device
    int threads() const; // CPU threads per process; 0: all cores

private:
    std::vector<model::GpuInfo> m_gpus;
    QComboBox* m_device = nullptr; // owned by the page, like every widget below
    QCheckBox* m_checkpointing = nullptr;
    QComboBox* m_precision = nullptr;
    QSpinBox* m_threads = nullptr;
    QSpinBox* m_evalEvery = nullptr;
    QSpinBox* m_checkpointEvery = nullptr;
    QSpinBox* m_processes = nullptr;
    QSpinBox* m_machines = nullptr;
};

} // namespace rlhf::widgets
