// Last page of the StageWizard: the stage document as it will be written, where it goes, the
// training-memory estimate at the final batch size, the CLI commands that run it, and any reason
// the CLI would refuse it (which blocks Start run). Copying a command or saving the Slurm script
// first writes the document it runs and says where; a copy button reads "Copied" for a moment.
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
    // How long a copy button reads "Copied" after a click.
    static constexpr int copiedFeedbackMs = 2000;

    // `stage` builds, checks and writes the document; it owns this page and so outlives it.
    explicit WizardSummaryPage(StageWizard* stage, QWidget* parent = nullptr);

    void initializePage() override;
    bool isComplete() const override;
    bool validatePage() override;

    // Writes the Slurm batch script of the run (launchcommands.h) to `file`, and the stage
    // document it runs; says where in the page's status, or why not in its message (false).
    bool saveSlurmScript(const QString& file);

private:
    void refresh();
    // Writes the document, then puts `command` on the clipboard; `button` reads "Copied" for
    // copiedFeedbackMs and the status says what was copied and which file was written.
    void copyCommand(QPushButton* button, const QString& command, const QString& what);
    void showProblem(const QString& text); // in the red message, the status cleared

    StageWizard* m_stage = nullptr; // not owned
    QString m_problem;              // why the document would be refused; empty when valid
    QLabel* m_path = nullptr;       // owned by the page, like every widget below
    QLabel* m_memory = nullptr;
    QPlainTextEdit* m_preview = nullptr;
    QPushButton* m_copy = nullptr;
    QPushButton* m_copyTorchrun = nullptr;
    QPushButton* m_saveSlurm = nullptr;
    QLabel* m_status = nullptr;  // what the last copy or save did
    QLabel* m_message = nullptr; // why Start run is refused, or a write failed
    QLabel* m_launch = nullptr;  // how several processes are launched, when chosen
};

} // namespace rlhf::widgets
