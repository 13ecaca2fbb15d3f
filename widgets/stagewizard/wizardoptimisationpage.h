// Optimisation page of the StageWizard: learning-rate schedule (peak, floor, warmup), AdamW
// weight decay, gradient clipping, steps, batch size, gradient accumulation and seed, with the
// model's training-memory estimate at the batch size as it is typed.
#pragma once

#include <QWizardPage>

class QLabel;
class QLineEdit;
class QSpinBox;

namespace rlhf::widgets {

class WizardModelPage;

class WizardOptimisationPage : public QWizardPage {
    Q_OBJECT

public:
    // `model` supplies the shape of the memory estimate; it outlives this page.
    explicit WizardOptimisationPage(const WizardModelPage* model, QWidget* parent = nullptr);

    void initializePage() override;
    bool isComplete() const override;
    bool validatePage() override;

Q_SIGNALS:
    void batchSizeChanged(int batchSize);

private:
    QString problem() const; // empty when every field is acceptable
    void updateMessage();
    void updateMemory();

    const WizardModelPage* m_model = nullptr; // not owned
    QLineEdit* m_lr = nullptr;                // owned by the page, like every widget below
    QLineEdit* m_minLr = nullptr;
    QSpinBox* m_warmup = nullptr;
    QLineEdit* m_weightDecay = nullptr;
    QLineEdit* m_gradClip = nullptr;
    QSpinBox* m_steps = nullptr;
    QSpinBox* m_batchSize = nullptr;
    QLabel* m_batchLabel = nullptr;
    QSpinBox* m_gradAccumulation = nullptr;
    QSpinBox* m_seed = nullptr;
    QLabel* m_memory = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace rlhf::widgets
