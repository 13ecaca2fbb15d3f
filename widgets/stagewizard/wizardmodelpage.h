// Model page of the StageWizard: a preset shape (tiny, small, gpt2-124M) or a custom one, the
// flavour (gpt2 / llama), and a live label with the exact parameter count and a memory estimate
// at the batch size of the Optimisation page (which the wizard passes in as it changes).
#pragma once

#include "core/model/model_config.h"

#include <QWizardPage>

#include <cstdint>

class QCheckBox;
class QComboBox;
class QLabel;
class QSpinBox;

namespace rlhf::widgets {

class WizardDataPage;

class WizardModelPage : public QWizardPage {
    Q_OBJECT

public:
    // `data` supplies the vocabulary size (the chosen tokenizer's); it outlives this page.
    explicit WizardModelPage(const WizardDataPage* data, QWidget* parent = nullptr);

    void initializePage() override;
    bool isComplete() const override;
    bool validatePage() override;

    model::ModelConfig modelConfig() const; // the shape as currently entered
    // "Training memory about 1.2 GB at batch size 8"; empty while the shape is invalid.
    QString memoryEstimate(int64_t batchSize, bool activationCheckpointing = false) const;
    void setBatchSize(int64_t batchSize); // the estimate's batch; 8 until the wizard sets it

private:
    QString problem() const; // empty when the shape is valid
    void applyPreset(int index);
    void refresh();

    const WizardDataPage* m_data = nullptr; // not owned
    int64_t m_batchSize = 8;                // the Optimisation page's default
    QComboBox* m_preset = nullptr;          // owned by the page, like every widget below
    QComboBox* m_flavour = nullptr;
    QSpinBox* m_layers = nullptr;
    QSpinBox* m_heads = nullptr;
    QSpinBox* m_kvHeads = nullptr;
    QLabel* m_kvHeadsLabel = nullptr;
    QSpinBox* m_dim = nullptr;
    QSpinBox* m_context = nullptr;
    QCheckBox* m_tie = nullptr;
    QLabel* m_size = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace rlhf::widgets
