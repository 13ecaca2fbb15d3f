// First page of the StageWizard: which training stage to configure (pretrain is the only one so
// far) and the run's name, which also names the document runs/<name>.json.
#pragma once

#include <QWizardPage>

class QComboBox;
class QLabel;
class QLineEdit;

namespace rlhf::widgets {

class WizardStagePage : public QWizardPage {
    Q_OBJECT

public:
    explicit WizardStagePage(const QString& projectPath, QWidget* parent = nullptr);

    bool isComplete() const override;
    bool validatePage() override;

private:
    QString problem() const; // empty when the name is usable
    void updateMessage();

    QString m_projectPath;
    QComboBox* m_stage = nullptr; // owned by the page
    QLineEdit* m_name = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace rlhf::widgets
