// The main window's frame (see mainwindow.h): building the tabs and docks, the menus, the
// actions' enabled state, the dialogs the menus open, refreshing, and closing.
#include "widgets/window/mainwindow.h"

#include "core/model/torch_runtime.h"
#include "core/store/project.h"
#include "widgets/importwizard/importrunpage.h"
#include "widgets/importwizard/importwizard.h"
#include "widgets/plots/rundashboard.h"
#include "widgets/window/addmodeldialog.h"
#include "widgets/window/configdiffdialog.h"
#include "widgets/window/dataview.h"
#include "widgets/window/exportdialog.h"
#include "widgets/window/healthpanel.h"
#include "widgets/window/processrunner.h"
#include "widgets/window/rankstatuspanel.h"
#include "widgets/window/rolloutview.h"
#include "widgets/window/runlistmodel.h"
#include "widgets/window/systempanel.h"
#include "widgets/window/welcomepage.h"

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDebug>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

constexpr qint64 kActivationRefreshMs = 3000; // coming back to the window refreshes this often

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle("RLHF Studio");
    m_worker = new TrainingWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connectRunner(m_worker);
    // A long phase before the first step (DPO caching its reference's log-probabilities): its
    // progress in the status bar, not in the step count the ETA follows.
    connect(m_worker, &TrainingWorker::phaseProgress, this,
            [this](const QString& text, qint64 done, qint64 total) {
                m_jobLabel->setText(text);
                m_progress->setMaximum(int(std::max<qint64>(total, 1)));
                m_progress->setValue(int(done));
            });
    connect(m_worker, &TrainingWorker::checkpointSaved, this,
            [this](const QString& path, qint64 step) {
                appendLog(QString("checkpoint at step %1: %2").arg(step).arg(path));
            });
    m_thread.start();
    m_processRunner = new ProcessRunner(this);
    connectRunner(m_processRunner);
    connectImprover();

    buildCentral();
    buildMenus();
    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
    restoreState(settings.value("window/state").toByteArray());
    m_rankDock->hide(); // until a multi-process run
    updateActions();
}

MainWindow::~MainWindow()
{
    m_worker->cancel();
    m_thread.quit();
    m_thread.wait();
}

void MainWindow::buildCentral()
{
    m_runs = new RunListModel(this);
    m_runTable = new QTableView;
    m_runTable->setModel(m_runs);
    m_runTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_runTable->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_runTable->verticalHeader()->hide();
    m_runTable->setWordWrap(false); // one line per run; a narrow cell elides (tooltips hold all)
    m_runTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_runTable->horizontalHeader()->setStretchLastSection(true);
    connect(m_runTable->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        showSelectedRuns();
        updateActions();
    });

    m_dashboard = new RunDashboard;
    m_dashboard->setObjectName("runDashboard");
    m_system = new SystemPanel;
    m_system->setGpuCount(int(model::cudaDevices().size()));
    auto* plotPane = new QWidget;
    auto* plotLayout = new QVBoxLayout(plotPane);
    plotLayout->setContentsMargins(0, 0, 0, 0);
    plotLayout->addWidget(m_system);
    plotLayout->addWidget(m_dashboard, 1);

    QWidget* splitter = buildInspectors(plotPane);
    m_data = new DataView;
    m_tabs = new QTabWidget;
    m_tabs->setObjectName("mainTabs");
    m_tabs->addTab(splitter, "Runs");
    m_tabs->addTab(m_data, "Data");
    buildHumanPanes();
    m_welcome = new WelcomePage;
    connect(m_welcome, &WelcomePage::newProjectRequested, this, &MainWindow::newProject);
    connect(m_welcome, &WelcomePage::openProjectRequested, this, &MainWindow::openProjectDialog);
    connect(m_welcome, &WelcomePage::demoProjectRequested, this,
            &MainWindow::openDemoProjectDialog);
    connect(m_welcome, &WelcomePage::recentProjectRequested, this,
            [this](const QString& folder) { openProject(folder); });
    m_pages = new QStackedWidget;
    m_pages->addWidget(m_welcome);
    m_pages->addWidget(m_tabs);
    setCentralWidget(m_pages);

    m_log = new QPlainTextEdit;
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    auto* logDock = new QDockWidget("Log", this);
    logDock->setObjectName("logDock");
    logDock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, logDock);
    resizeDocks({logDock}, {140}, Qt::Vertical);

    m_rankPanel = new RankStatusPanel;
    connect(m_processRunner, &ProcessRunner::rankStatus, m_rankPanel, &RankStatusPanel::setStatus);
    m_rankDock = new QDockWidget(tr("Ranks"), this);
    m_rankDock->setObjectName("rankDock");
    m_rankDock->setWidget(m_rankPanel);
    addDockWidget(Qt::BottomDockWidgetArea, m_rankDock);
    splitDockWidget(logDock, m_rankDock, Qt::Horizontal);

    m_jobLabel = new QLabel("No run");
    m_progress = new QProgressBar;
    m_progress->setMaximumWidth(220);
    m_progress->setVisible(false);
    statusBar()->addWidget(m_jobLabel, 1);
    statusBar()->addPermanentWidget(m_progress);
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu("&File");
    file->addAction("&New Project…", QKeySequence::New, this, &MainWindow::newProject);
    file->addAction("&Open Project…", QKeySequence::Open, this, &MainWindow::openProjectDialog);
    file->addAction("Open the &Demo Project…", this, &MainWindow::openDemoProjectDialog);
    m_recentMenu = file->addMenu("Open &Recent");
    rebuildRecentMenu();
    file->addSeparator();
    m_importData = file->addAction("&Import Data…", QKeySequence(Qt::CTRL | Qt::Key_I), this,
                                   &MainWindow::importData);
    m_addModel = file->addAction("Add &Model…", QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M),
                                 this, &MainWindow::addModel);
    file->addSeparator();
    file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu("&View");
    m_refresh = view->addAction("&Refresh", QKeySequence::Refresh, this, &MainWindow::refreshViews);

    QMenu* run = menuBar()->addMenu("&Run");
    m_newRun =
        run->addAction("&New Run…", QKeySequence(Qt::CTRL | Qt::Key_R), this, &MainWindow::newRun);
    m_pause = run->addAction("&Pause", QKeySequence(Qt::CTRL | Qt::Key_P), this,
                             &MainWindow::togglePause);
    m_cancel = run->addAction("&Cancel", QKeySequence(Qt::CTRL | Qt::Key_Period), this,
                              &MainWindow::cancelRun);
    run->addSeparator();
    m_resume = run->addAction("&Resume Selected Run", this, &MainWindow::resumeSelectedRun);
    m_compare =
        run->addAction("Compare &Configs of Two Runs", this, &MainWindow::compareSelectedConfigs);
    m_openCheckpoints =
        run->addAction("Open Check&points Folder", this, &MainWindow::openCheckpointsFolder);
    m_export = run->addAction("&Export Checkpoint…", this, &MainWindow::exportCheckpoint);
    m_merge = run->addAction("&Merge LoRA Adapter…", this, &MainWindow::mergeAdapter);
    run->addSeparator();
    m_improve = run->addAction("Improve from &Feedback…", this, [this] { improveFromFeedback(); });

    QMenu* help = menuBar()->addMenu("&Help");
    help->addAction("&About RLHF Studio", this, &MainWindow::showAbout);
}

void MainWindow::showAbout()
{
    const auto gpus = model::cudaDevices();
    QMessageBox::about(
        this, "About RLHF Studio",
        tr("<b>RLHF Studio %1</b><p>Train ChatGPT-style models on your own data: tokenizer, "
           "pretraining, and the alignment stages, on a LibTorch core.<p>LibTorch %2, %3."
           "<p>Every action here has a twin in the <tt>rlhf</tt> command line.")
            .arg(RLHF_VERSION, QString::fromStdString(model::libtorchVersion()),
                 gpus.empty() ? tr("no CUDA GPU") : tr("%n CUDA GPU(s)", "", int(gpus.size()))));
}

void MainWindow::updateActions()
{
    const bool project = !m_project.isEmpty();
    const auto rows = selectedRows();
    m_newRun->setEnabled(project && !m_training);
    m_importData->setEnabled(project);
    m_addModel->setEnabled(project);
    m_export->setEnabled(project);
    m_merge->setEnabled(project);
    m_improve->setEnabled(project && !m_training);
    m_pause->setEnabled(m_training && !m_processRun); // ranks pause only by stopping
    m_pause->setText(m_paused ? "Res&ume" : "&Pause");
    m_cancel->setEnabled(m_training);
    const auto resumable = [this](int row) {
        const auto status =
            m_runs->data(m_runs->index(row, RunListModel::Status), Qt::DisplayRole).toString();
        return status == "stopped" || status == "interrupted" || status == "failed";
    };
    m_resume->setEnabled(project && !m_training && rows.size() == 1 && resumable(rows.front()));
    m_compare->setEnabled(rows.size() == 2);
    m_openCheckpoints->setEnabled(rows.size() == 1);
    m_refresh->setEnabled(project);
}

void MainWindow::refreshViews()
{
    if (m_project.isEmpty()) return;
    m_lastRefresh.start();
    m_runs->refresh();
    m_data->refresh();
    refreshHumanPanes();
    if (!m_training) showSelectedRuns(); // a live run's charts follow its signals instead
    updateActions();
}

bool MainWindow::event(QEvent* event)
{
    // Back from a terminal or another window: the CLI may have written runs, data sets or
    // tokenizers meanwhile. The lists are cheap to read again; the charts wait for F5.
    if (event->type() == QEvent::WindowActivate && !m_project.isEmpty() &&
        (!m_lastRefresh.isValid() || m_lastRefresh.elapsed() > kActivationRefreshMs)) {
        m_lastRefresh.start();
        m_runs->refresh();
        m_data->refreshList(); // not the selected data set's statistics: F5 does those
        refreshHumanPanes();
    }
    return QMainWindow::event(event);
}

template <typename Runner> void MainWindow::connectRunner(Runner* runner)
{
    connect(runner, &Runner::runRecorded, this, [this](qint64 runId) {
        m_liveRun = runId;
        m_runs->refresh();
        const int row = m_runs->rowOfRun(runId);
        if (row >= 0) m_runTable->selectRow(row);
    });
    connect(runner, &Runner::metrics, this, &MainWindow::onMetrics);
    connect(runner, &Runner::logLine, this, &MainWindow::appendLog);
    connect(runner, &Runner::progress, this, &MainWindow::onProgress);
    connect(runner, &Runner::failed, this, [this](const QString& message) {
        appendLog("error: " + message);
        qWarning().noquote() << "training failed:" << message;
        QMessageBox::critical(this, "Training failed", message);
    });
    connect(runner, &Runner::finished, this, &MainWindow::onFinished);
}

void MainWindow::importData()
{
    ImportWizard wizard(m_project, this);
    wizard.exec();
    if (!wizard.runPage()->isDone()) return;
    m_data->refresh(QString::fromStdString(wizard.recipe().dataset));
    refreshHumanPanes();
    m_tabs->setCurrentWidget(m_data);
}

void MainWindow::addModel()
{
    AddModelDialog dialog(m_project, this);
    if (dialog.exec() != QDialog::Accepted) return;
    appendLog(tr("Added base model %1: New Run… can start from it, chat and the arena can talk "
                 "with it")
                  .arg(dialog.addedName()));
    refreshHumanPanes();
}

void MainWindow::exportCheckpoint()
{
    ExportDialog dialog(m_project, QString(), this);
    connect(&dialog, &ExportDialog::finished, this, [this, &dialog](bool ok) {
        if (ok) appendLog(dialog.resultLabel()->text());
    });
    dialog.exec();
}

void MainWindow::mergeAdapter()
{
    ExportDialog dialog(m_project, QString(), this, ExportDialog::Purpose::MergeAdapter);
    connect(&dialog, &ExportDialog::finished, this, [this, &dialog](bool ok) {
        if (ok) appendLog(dialog.resultLabel()->text());
    });
    dialog.exec();
}

void MainWindow::compareSelectedConfigs()
{
    const auto rows = selectedRows();
    if (rows.size() != 2) return;
    const auto parse = [this](int row) {
        return nlohmann::json::parse(m_runs->configJson(row).toStdString(), nullptr,
                                     /*allow_exceptions=*/false);
    };
    ConfigDiffDialog dialog(QString("run %1").arg(m_runs->runId(rows[0])), parse(rows[0]),
                            QString("run %1").arg(m_runs->runId(rows[1])), parse(rows[1]), this);
    dialog.exec();
}

void MainWindow::openCheckpointsFolder()
{
    const auto rows = selectedRows();
    if (rows.size() != 1) return;
    const QString folder =
        QString("%1/checkpoints/run-%2").arg(m_project).arg(m_runs->runId(rows.front()));
    const QString shown = QDir::toNativeSeparators(folder);
    if (!QFileInfo(folder).isDir()) {
        QMessageBox::information(this, "Open Checkpoints Folder",
                                 tr("Run %1 has no checkpoints folder (%2): it saved no "
                                    "checkpoint.")
                                     .arg(m_runs->runId(rows.front()))
                                     .arg(shown));
        return;
    }
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(folder)))
        QMessageBox::warning(this, "Open Checkpoints Folder",
                             tr("No file manager could open %1. The path is in the log, to "
                                "copy.")
                                 .arg(shown));
    appendLog(tr("checkpoints of run %1: %2").arg(m_runs->runId(rows.front())).arg(shown));
}

void MainWindow::appendLog(const QString& line)
{
    m_log->appendPlainText(QDateTime::currentDateTime().toString("hh:mm:ss  ") + line);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_training && QMessageBox::question(this, "Training is running",
                                            "Stop the run (a checkpoint is saved) and quit?") !=
                          QMessageBox::Yes) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    event->accept();
}

} // namespace rlhf::widgets
