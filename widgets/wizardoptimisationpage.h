// Optimisation page of the StageWizard: learning-rate schedule (peak, floor, warmup), AdamW
// weight decay, gradient clipping, steps, batch size, gradient accumulation and seed.
#pragma once

#include <QWizardPage>

class QLabel;
class QLineEdit;
class QSpinBox;

namespace rlhf::widgets {

class WizardOptimisationPage : public QWizardPage {
    Q_OBJECT

public:
    explicit WizardOptimisationPage(QWidget* parent = nullptr);

    bool isComplete() const override;
    bool validatePage() override;

private:
    QString problem() const; // empty when every field is acceptable
    void updateMessage();

    QLineEdit* m_lr = nullptr; // owned by the page, like every widget below
    QLineEdit* m_minLr = nullptr;
    QSpinBox* m_warmup = nullptr;
    QLineEdit* m_weightDecay = nullptr;
    QLineEdit* m_gradClip = nullptr;
    QSpinBox* m_steps = nullptr;
    QSpinBox* m_batchSize = nullptr;
    QSpinBox* m_gradAccumulation = nullptr;
    QSpinBox* m_seed = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace rlhf::widgets
