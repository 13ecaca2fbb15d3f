#include "widgets/stagewizard/wizardsummarypage.h"

#include "widgets/stagewizard/stagewizard.h"

#include <nlohmann/json.hpp>

#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QTimer>
#include <QVBoxLayout>

namespace rlhf::widgets {

WizardSummaryPage::WizardSummaryPage(StageWizard* stage, QWidget* parent)
    : QWizardPage(parent), m_stage(stage)
{
    setTitle(tr("Summary"));
    setSubTitle(tr("Start run writes this stage document and trains it in the studio; the "
                   "commands below run it from a terminal."));

    m_path = new QLabel(this);
    m_path->setObjectName(QStringLiteral("documentPath"));
    m_path->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_path->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // a deep project path
    m_memory = new QLabel(this);
    m_memory->setObjectName(QStringLiteral("summaryMemory"));
    m_memory->setWordWrap(true); // a long estimate must not widen the wizard
    m_preview = new QPlainTextEdit(this);
    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_copy = new QPushButton(tr("Copy as command"), this);
    m_copy->setObjectName(QStringLiteral("copyCommand"));
    m_copy->setToolTip(tr("Writes the stage document and copies the `rlhf train` line that runs "
                          "it."));
    m_copyTorchrun = new QPushButton(tr("Copy as torchrun command"), this);
    m_copyTorchrun->setObjectName(QStringLiteral("copyTorchrun"));
    m_copyTorchrun->setToolTip(tr("Writes the stage document and copies the run under PyTorch's "
                                  "launcher, on this machine or, with several machines, on each "
                                  "of them."));
    m_saveSlurm = new QPushButton(tr("Save as Slurm batch script…"), this);
    m_saveSlurm->setObjectName(QStringLiteral("saveSlurm"));
    m_saveSlurm->setToolTip(tr("An sbatch script for a cluster: nodes, tasks and GPUs per node "
                               "from the Run page, `srun rlhf train` for the run (the stage "
                               "document is written beside it in runs/)."));
    for (QPushButton* button : {m_copy, m_copyTorchrun})
        button->setProperty("idleText", button->text());
    m_launch = new QLabel(this);
    m_launch->setObjectName(QStringLiteral("launchNote"));
    m_launch->setWordWrap(true);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("summaryStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->hide();
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("summaryMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020"));

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_path);
    layout->addWidget(m_memory);
    layout->addWidget(m_preview, /*stretch=*/1);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_copy);
    buttons->addWidget(m_copyTorchrun);
    buttons->addWidget(m_saveSlurm);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(m_launch);
    layout->addWidget(m_message);

    connect(m_copy, &QPushButton::clicked, this,
            [this] { copyCommand(m_copy, m_stage->command(), tr("the command")); });
    connect(m_copyTorchrun, &QPushButton::clicked, this, [this] {
        copyCommand(m_copyTorchrun, torchrunCommand(m_stage->launchSettings()),
                    tr("the torchrun command"));
    });
    connect(m_saveSlurm, &QPushButton::clicked, this, [this] {
        const QString suggested =
            QFileInfo(m_stage->documentPath())
                .dir()
                .filePath(m_stage->launchSettings().runName + QStringLiteral(".sbatch"));
        const QString file = QFileDialog::getSaveFileName(this, tr("Slurm batch script"), suggested,
                                                          tr("sbatch (*.sbatch *.sh)"));
        if (!file.isEmpty()) saveSlurmScript(file);
    });
}

void WizardSummaryPage::showProblem(const QString& text)
{
    m_status->hide();
    m_message->setText(text);
    m_message->setVisible(true);
}

void WizardSummaryPage::copyCommand(QPushButton* button, const QString& command,
                                    const QString& what)
{
    QString problem;
    if (!m_stage->writeDocument(problem)) { // the command would name a file that is not there
        showProblem(tr("Nothing copied: %1").arg(problem));
        return;
    }
    QGuiApplication::clipboard()->setText(command);
    m_status->setText(tr("Copied %1 to the clipboard. It runs the stage document, written just "
                         "now: %2")
                          .arg(what, m_stage->documentPath()));
    m_status->setVisible(true);
    button->setText(tr("Copied"));
    QTimer::singleShot(copiedFeedbackMs, button,
                       [button] { button->setText(button->property("idleText").toString()); });
}

bool WizardSummaryPage::saveSlurmScript(const QString& file)
{
    QString problem;
    if (!m_stage->writeDocument(problem)) {
        showProblem(tr("No script written: %1").arg(problem));
        return false;
    }
    QDir().mkpath(QFileInfo(file).path());
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) ||
        out.write(slurmScript(m_stage->launchSettings()).toUtf8()) < 0 || !out.commit()) {
        showProblem(tr("Cannot write %1: %2").arg(file, out.errorString()));
        return false;
    }
    QFile::setPermissions(file, QFile::permissions(file) | QFileDevice::ExeOwner);
    m_status->setText(tr("Wrote the Slurm batch script %1 and the stage document it runs: %2")
                          .arg(QFileInfo(file).absoluteFilePath(), m_stage->documentPath()));
    m_status->setVisible(true);
    return true;
}

void WizardSummaryPage::refresh()
{
    m_path->setText(tr("Document: %1").arg(m_stage->documentPath()));
    m_path->setToolTip(m_stage->documentPath());
    m_memory->setText(m_stage->memoryEstimate());
    m_preview->setPlainText(QString::fromStdString(m_stage->document().dump(2)));
    m_problem = m_stage->validationError();
    m_message->setText(m_problem);
    m_message->setVisible(!m_problem.isEmpty());
    const LaunchSettings launch = m_stage->launchSettings();
    m_launch->setVisible(launch.processes > 1 || launch.machines > 1);
    m_launch->setText(
        launch.machines == 1
            ? tr("Start run launches %1 worker processes on this machine (the command above) "
                 "and follows the run in the studio; Run > Cancel stops them all after their "
                 "step.")
                  .arg(launch.processes)
            : tr("Start run trains in the studio with one process. The %1 processes on %2 "
                 "machines are launched by the torchrun command (on each machine) or the Slurm "
                 "script; the run's metrics and checkpoints appear in this project as it goes.")
                  .arg(launch.processes * launch.machines)
                  .arg(launch.machines));
    m_copy->setEnabled(m_problem.isEmpty());
    m_copyTorchrun->setEnabled(m_problem.isEmpty());
    m_saveSlurm->setEnabled(m_problem.isEmpty());
    Q_EMIT completeChanged();
}

void WizardSummaryPage::initializePage()
{
    m_status->hide(); // what was copied or written belongs to the choices made before
    refresh();
}

bool WizardSummaryPage::isComplete() const
{
    return m_problem.isEmpty();
}

bool WizardSummaryPage::validatePage()
{
    refresh();
    return m_problem.isEmpty();
}

} // namespace rlhf::widgets
