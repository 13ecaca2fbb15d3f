// The main window's "Improve from feedback" (MainWindow members, kept out of mainwindow.cpp): the
// dialog, the FeedbackImprover's runs through startRun like any other, and afterwards the Arena
// with the improved checkpoint against its parent, names hidden.
#include "widgets/window/mainwindow.h"

#include "core/eval/feedback_improve.h"
#include "widgets/chat/arenapane.h"
#include "widgets/chat/singlechatpane.h"
#include "widgets/window/dataview.h"
#include "widgets/window/feedbackimprover.h"
#include "widgets/window/improvedialog.h"

#include <QLabel>
#include <QMessageBox>
#include <QTabWidget>

namespace rlhf::widgets {

void MainWindow::connectImprover()
{
    m_improver = new FeedbackImprover(this);
    connect(m_improver, &FeedbackImprover::logLine, this, &MainWindow::appendLog);
    connect(m_improver, &FeedbackImprover::runRequested, this, &MainWindow::startRun);
    connect(this, &MainWindow::runFinished, m_improver, &FeedbackImprover::onRunFinished);
    connect(m_improver, &FeedbackImprover::failed, this, [this](const QString& message) {
        appendLog(message);
        m_jobLabel->setText(message);
    });
    connect(m_improver, &FeedbackImprover::finished, this,
            [this](const QString& improved, const QString& parent) {
                refreshHumanPanes();
                if (m_chat) m_chat->refreshFeedbackCount();
                if (!m_arena || !m_arena->compareHidden(improved, parent)) return;
                m_tabs->setCurrentWidget(m_arena);
                m_jobLabel->setText(tr("Improved from feedback: %1. The Arena puts it against "
                                       "%2, names hidden until you vote.")
                                        .arg(improved, parent));
            });
}

QString MainWindow::startImprovement(const eval::ImproveOptions& options)
{
    if (m_project.isEmpty()) return tr("Open a project first.");
    if (m_training || m_improver->active())
        return tr("A run is under way: improve from feedback when it has ended.");
    try {
        m_improver->start(m_project, options);
    } catch (const std::exception& error) {
        const QString message = QString::fromUtf8(error.what());
        appendLog(tr("Improve from feedback: %1").arg(message));
        return message;
    }
    m_tabs->setCurrentIndex(0); // the Runs tab: the new runs' dashboard
    m_data->refresh();          // the feedback dataset
    return {};
}

void MainWindow::improveFromFeedback(const QString& checkpoint)
{
    if (m_project.isEmpty()) return;
    try {
        ImproveDialog dialog(m_project, checkpoint, this);
        if (dialog.exec() != QDialog::Accepted) return;
        const QString problem = startImprovement(dialog.options());
        if (!problem.isEmpty()) QMessageBox::warning(this, tr("Improve from Feedback"), problem);
    } catch (const std::exception& error) {
        QMessageBox::warning(this, tr("Improve from Feedback"), QString::fromUtf8(error.what()));
    }
}

} // namespace rlhf::widgets
