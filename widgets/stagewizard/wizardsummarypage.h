// Last page of the StageWizard: the stage document as it will be written, where it goes, the
// training-memory estimate at the final batch size, the CLI command that runs it, and any reason
// the CLI would refuse it (which blocks Finish).
#pragma once

#include <QWizardPage>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace rlhf::widgets {

class StageWizard;

class WizardSummaryPage : public QWizardPage {
    Q_OBJECT

public:
    // `stage` builds and checks the document; it owns this page and so outlives it.
    explicit WizardSummaryPage(const StageWizard* stage, QWidget* parent = nullptr);

    void initializePage() override;
    bool isComplete() const override;
    bool validatePage() override;

    // Writes the Slurm batch script of the run (launchcommands.h) to `file`; false, with the
    // reason in the page's message, when it cannot.
    bool saveSlurmScript(const QString& file);

private:
    void refresh();

    const StageWizard* m_stage = nullptr; // not owned
    QString m_problem;                    // why the document would be refused; empty when valid
    QLabel* m_path = nullptr;             // owned by the page, like every widget below
    QLabel* m_memory = nullptr;
    QPlainTextEdit* m_preview = nullptr;
    QPushButton* m_copy = nullptr;
    QPushButton* m_copyTorchrun = nullptr;
    QPushButton* m_saveSlurm = nullptr;
    QLabel* m_message = nullptr;
    QLabel* m_launch = nullptr; // how several processes are launched, when chosen
};

} // namespace rlhf::widgets
