// First page of the StageWizard: which training stage to configure (pretrain, sft, reward, dpo,
// ppo or grpo, each with a one-line explanation) and the run's name, which also names the
// document runs/<name>.json.
#pragma once

#include "core/store/records.h"

#include <QStringList>
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

    store::RunStage stage() const;
    // runs/<name>.json was written by this wizard (Copy as command writes it): the name stays
    // usable, where the name of a document that existed before is refused.
    void allowExisting(const QString& name);

private:
    QString problem() const; // empty when the name is usable
    void updateMessage();
    void updateExplanation();
    // "<stage>-N" with the first N whose document does not exist yet.
    QString freeName(store::RunStage stage) const;

    QString m_projectPath;
    QComboBox* m_stage = nullptr; // owned by the page
    QLabel* m_explanation = nullptr;
    QLineEdit* m_name = nullptr;
    QLabel* m_message = nullptr;
    QStringList m_ownDocuments; // run names whose documents this wizard wrote
};

} // namespace rlhf::widgets
