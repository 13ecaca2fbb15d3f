// The main window's project handling (MainWindow members, kept out of mainwindow.cpp): opening,
// creating and remembering projects, the demo project, and the welcome page they replace.
#include "widgets/window/mainwindow.h"

#include "core/data/demo_project.h"
#include "core/store/project.h"
#include "widgets/window/dataview.h"
#include "widgets/window/healthpanel.h"
#include "widgets/window/rolloutview.h"
#include "widgets/window/runlistmodel.h"
#include "widgets/window/welcomepage.h"

#include <QApplication>
#include <QDir>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMenu>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSettings>
#include <QStackedWidget>
#include <QTableView>
#include <QtConcurrent/QtConcurrentRun>

namespace rlhf::widgets {

namespace {
const char* kRecentKey = "recentProjects";
constexpr int kMaxRecent = 8;
} // namespace

bool MainWindow::openProject(const QString& folder)
{
    try {
        // Validates, migrates and settles runs that crashed: those become 'interrupted'.
        const auto opened = store::Project::open(folder.toStdString());
        for (const auto& line : opened.recovery().lines())
            appendLog(QString::fromStdString(line));
        m_project = folder;
        m_runs->setProject(folder);
        m_rollouts->setProject(folder);
        m_health->setProject(folder);
        openHumanPanes(folder);
    } catch (const std::exception& error) {
        QMessageBox::warning(this, "Cannot open project", QString::fromUtf8(error.what()));
        return false;
    }
    setWindowTitle(QString("%1 — RLHF Studio").arg(QFileInfo(folder).fileName()));
    rememberProject(folder);
    m_data->setProject(folder);
    m_pages->setCurrentIndex(1);
    m_lastRefresh.start();
    if (m_runs->rowCount() > 0)
        m_runTable->selectRow(m_runs->rowCount() - 1);
    else
        showSelectedRuns(); // an empty dashboard that says so
    updateActions();
    return true;
}

bool MainWindow::openLastProject()
{
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    if (recent.isEmpty() || !QFileInfo::exists(recent.front() + "/project.sqlite")) return false;
    return openProject(recent.front());
}

void MainWindow::newProject()
{
    const QString folder = QFileDialog::getSaveFileName(this, "New project folder");
    if (folder.isEmpty()) return;
    try {
        store::Project::create(folder.toStdString());
    } catch (const std::exception& error) {
        QMessageBox::warning(this, "Cannot create project", QString::fromUtf8(error.what()));
        return;
    }
    openProject(folder);
}

void MainWindow::openProjectDialog()
{
    const QString folder = QFileDialog::getExistingDirectory(this, "Open project folder");
    if (!folder.isEmpty()) openProject(folder);
}

void MainWindow::openDemoProjectDialog()
{
    const QString folder = QFileDialog::getSaveFileName(
        this, tr("Folder for the demo project"), QDir::home().filePath("rlhf-studio-demo"), {},
        nullptr, QFileDialog::DontConfirmOverwrite);
    if (!folder.isEmpty()) openDemoProject(folder);
}

bool MainWindow::openDemoProject(const QString& folder)
{
    if (QFileInfo(folder).isDir() && !QDir(folder).isEmpty() &&
        !QFileInfo::exists(folder + "/project.sqlite")) {
        QMessageBox::warning(this, tr("Demo project"),
                             tr("%1 holds other files: choose an empty or new folder.")
                                 .arg(QDir::toNativeSeparators(folder)));
        return false;
    }
    // Writing the task and training its tokenizer takes seconds: off the GUI thread, with a
    // busy dialog, so the window keeps painting.
    QProgressDialog busy(tr("Writing the demo project: the addition task and its tokenizer…"),
                         QString(), 0, 0, this);
    busy.setWindowModality(Qt::WindowModal);
    busy.setMinimumDuration(300);
    QFutureWatcher<QString> watcher;
    QEventLoop loop;
    connect(&watcher, &QFutureWatcher<QString>::finished, &loop, &QEventLoop::quit);
    QStringList lines;
    watcher.setFuture(QtConcurrent::run([folder, &lines]() -> QString {
        try {
            data::prepareDemoProject(
                folder.toStdString(), {.maxOperand = 99},
                [&lines](const std::string& line) { lines.append(QString::fromStdString(line)); });
            return {};
        } catch (const std::exception& error) {
            return QString::fromUtf8(error.what());
        }
    }));
    loop.exec();
    busy.close();
    for (const QString& line : lines)
        appendLog("demo project: " + line);
    if (const QString error = watcher.result(); !error.isEmpty()) {
        QMessageBox::warning(this, tr("Demo project"), error);
        return false;
    }
    if (!openProject(folder)) return false;
    appendLog(tr("demo project ready: Run > New Run… trains on arith-sft with the arith-bpe "
                 "tokenizer; the arith-pairs and arith-prompts data sets feed the reward model, "
                 "DPO, PPO and GRPO"));
    return true;
}

void MainWindow::rememberProject(const QString& folder)
{
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(folder);
    recent.prepend(folder);
    settings.setValue(kRecentKey, recent.mid(0, kMaxRecent));
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    if (m_welcome) m_welcome->setRecentProjects(recent);
    if (!m_recentMenu) return;
    m_recentMenu->clear();
    for (const QString& folder : recent)
        m_recentMenu->addAction(folder, this, [this, folder] { openProject(folder); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

} // namespace rlhf::widgets
