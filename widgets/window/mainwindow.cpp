#include "widgets/window/mainwindow.h"

#include "core/model/torch_runtime.h"
#include "core/store/project.h"
#include "widgets/importwizard/importrunpage.h"
#include "widgets/importwizard/importwizard.h"
#include "widgets/plots/metricplot.h"
#include "widgets/stagewizard/stagewizard.h"
#include "widgets/window/addmodeldialog.h"
#include "widgets/window/exportdialog.h"
#include "widgets/window/processrunner.h"
#include "widgets/window/dataview.h"
#include "widgets/window/healthpanel.h"
#include "widgets/window/rankstatuspanel.h"
#include "widgets/window/rolloutview.h"
#include "widgets/window/runlistmodel.h"

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDebug>
#include <QDesktopServices>
#include <QDockWidget>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

#include <map>

namespace rlhf::widgets {

namespace {

const char* kRecentKey = "recentProjects";
constexpr int kMaxRecent = 8;

// "a.b = value" lines of a JSON document, for the config diff.
void flatten(const nlohmann::json& json, const std::string& prefix,
             std::map<std::string, std::string>& out)
{
    if (json.is_object()) {
        for (const auto& item : json.items())
            flatten(item.value(), prefix.empty() ? item.key() : prefix + "." + item.key(), out);
        return;
    }
    out[prefix] = json.dump();
}

double nowSeconds()
{
    return double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
}

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle("RLHF Studio");
    m_worker = new TrainingWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connectRunner(m_worker);
    connect(m_worker, &TrainingWorker::checkpointSaved, this,
            [this](const QString& path, qint64 step) {
                appendLog(QString("checkpoint at step %1: %2").arg(step).arg(path));
            });
    m_thread.start();
    m_processRunner = new ProcessRunner(this);
    connectRunner(m_processRunner);

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
    m_runTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_runTable->horizontalHeader()->setStretchLastSection(true);
    connect(m_runTable->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        showSelectedRuns();
        updateActions();
    });

    m_metricChooser = new QComboBox;
    m_metricChooser->setMinimumContentsLength(18);
    m_plot = new MetricPlot;
    connect(m_metricChooser, &QComboBox::currentTextChanged, m_plot, &MetricPlot::setMetric);
    auto* plotPane = new QWidget;
    auto* plotLayout = new QVBoxLayout(plotPane);
    auto* chooserRow = new QHBoxLayout;
    chooserRow->addWidget(new QLabel("Metric:"));
    chooserRow->addWidget(m_metricChooser);
    chooserRow->addStretch();
    plotLayout->addLayout(chooserRow);
    plotLayout->addWidget(m_plot, 1);

    QWidget* splitter = buildInspectors(plotPane);
    m_data = new DataView;
    m_tabs = new QTabWidget;
    m_tabs->setObjectName("mainTabs");
    m_tabs->addTab(splitter, "Runs");
    m_tabs->addTab(m_data, "Data");
    buildHumanPanes();
    setCentralWidget(m_tabs);

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
    m_recentMenu = file->addMenu("Open &Recent");
    rebuildRecentMenu();
    file->addSeparator();
    m_importData = file->addAction("&Import Data…", QKeySequence(Qt::CTRL | Qt::Key_I), this,
                                   &MainWindow::importData);
    m_addModel = file->addAction("Add &Model…", QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M),
                                 this, &MainWindow::addModel);
    file->addSeparator();
    file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);

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

    QMenu* help = menuBar()->addMenu("&Help");
    help->addAction("&About RLHF Studio", this, [this] {
        QMessageBox::about(this, "About RLHF Studio",
                           "<b>RLHF Studio</b><p>Train ChatGPT-style models on your own data: "
                           "tokenizer, pretraining, and the alignment stages, on a LibTorch core."
                           "<p>Every action here has a twin in the <tt>rlhf</tt> command line.");
    });
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
}

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
    refreshMetricNames();
    if (m_runs->rowCount() > 0) m_runTable->selectRow(m_runs->rowCount() - 1);
    updateActions();
    return true;
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
    if (!m_recentMenu) return;
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    for (const QString& folder : recent)
        m_recentMenu->addAction(folder, this, [this, folder] { openProject(folder); });
    m_recentMenu->setEnabled(!recent.isEmpty());
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

void MainWindow::newRun()
{
    StageWizard wizard(m_project, model::cudaDevices(), this);
    if (wizard.exec() != QDialog::Accepted) return;
    const LaunchSettings launch = wizard.launchSettings();
    if (launch.processes > 1 && launch.machines == 1)
        startProcessRun(wizard.documentPath(), launch.processes,
                        wizard.document().at("training").value("steps", int64_t(0)));
    else
        startRun(QString::fromStdString(wizard.document().dump()));
}

void MainWindow::startProcessRun(const QString& document, int processes, qint64 steps)
{
    m_training = true;
    m_paused = false;
    m_processRun = true;
    m_progressStart = -1;
    m_jobLabel->setText(tr("Starting %1 processes…").arg(processes));
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_rankPanel->clearRanks();
    m_rankDock->show();
    resizeDocks({m_rankDock}, {m_rankPanel->sizeHint().width()}, Qt::Horizontal);
    m_processRunner->start(m_project, document, processes, steps);
    updateActions();
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

void MainWindow::startRun(const QString& documentJson)
{
    m_training = true;
    m_paused = false;
    m_progressStart = -1;
    m_jobLabel->setText("Starting run…");
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_rankDock->hide(); // one process: no ranks to show
    QMetaObject::invokeMethod(m_worker, "run", Qt::QueuedConnection, Q_ARG(QString, m_project),
                              Q_ARG(QString, documentJson));
    updateActions();
}

void MainWindow::togglePause()
{
    m_paused = !m_paused;
    m_paused ? m_worker->pause() : m_worker->resume();
    appendLog(m_paused ? "paused" : "resumed");
    updateActions();
}

void MainWindow::cancelRun()
{
    if (m_processRun) {
        m_processRunner->cancel();
        m_jobLabel->setText("Cancelling every process after its step…");
        return;
    }
    m_worker->resume();
    m_worker->cancel();
    m_jobLabel->setText("Cancelling after this step…");
}

void MainWindow::resumeSelectedRun()
{
    const auto rows = selectedRows();
    if (rows.size() != 1) return;
    try {
        auto project = store::Project::open(m_project.toStdString());
        const auto checkpoint = project.database().latestCheckpoint(m_runs->runId(rows.front()));
        if (!checkpoint) throw std::runtime_error("this run saved no checkpoint to resume from");
        auto document = nlohmann::json::parse(m_runs->configJson(rows.front()).toStdString());
        document["resume_from"] = checkpoint->path;
        startRun(QString::fromStdString(document.dump()));
    } catch (const std::exception& error) {
        QMessageBox::warning(this, "Cannot resume", QString::fromUtf8(error.what()));
    }
}

void MainWindow::compareSelectedConfigs()
{
    const auto rows = selectedRows();
    if (rows.size() != 2) return;
    std::map<std::string, std::string> a, b;
    flatten(nlohmann::json::parse(m_runs->configJson(rows[0]).toStdString()), "", a);
    flatten(nlohmann::json::parse(m_runs->configJson(rows[1]).toStdString()), "", b);
    QString diff;
    for (const auto& [key, value] : a) {
        const auto other = b.find(key);
        const std::string right = other == b.end() ? "(absent)" : other->second;
        if (right != value)
            diff += QString("%1: %2 → %3\n")
                        .arg(QString::fromStdString(key), QString::fromStdString(value),
                             QString::fromStdString(right));
    }
    for (const auto& [key, value] : b)
        if (!a.count(key))
            diff += QString("%1: (absent) → %2\n")
                        .arg(QString::fromStdString(key), QString::fromStdString(value));
    QMessageBox box(this);
    box.setWindowTitle("Config diff");
    box.setText(QString("Run %1 → run %2").arg(m_runs->runId(rows[0])).arg(m_runs->runId(rows[1])));
    box.setDetailedText(diff.isEmpty() ? "The configs are identical." : diff);
    box.exec();
}

void MainWindow::openCheckpointsFolder()
{
    const auto rows = selectedRows();
    if (rows.size() != 1) return;
    const QString folder =
        QString("%1/checkpoints/run-%2").arg(m_project).arg(m_runs->runId(rows.front()));
    QDesktopServices::openUrl(QUrl::fromLocalFile(folder));
}

QList<int> MainWindow::selectedRows() const
{
    QList<int> rows;
    for (const QModelIndex& index : m_runTable->selectionModel()->selectedRows())
        rows.append(index.row());
    std::sort(rows.begin(), rows.end());
    return rows;
}

void MainWindow::refreshMetricNames()
{
    if (m_project.isEmpty()) return;
    QStringList names;
    try {
        auto project = store::Project::open(m_project.toStdString());
        for (int row = 0; row < m_runs->rowCount(); ++row)
            for (const auto& name : project.database().metricNames(m_runs->runId(row)))
                if (!names.contains(QString::fromStdString(name)))
                    names.append(QString::fromStdString(name));
    } catch (const std::exception& error) {
        appendLog(QString("reading metrics: ") + error.what());
    }
    for (const char* standard : {"train/loss", "val/loss", "val/perplexity", "train/lr",
                                 "train/grad_norm", "train/tokens_per_s"})
        if (!names.contains(standard)) names.append(standard);
    const QString current = m_metricChooser->currentText();
    const QSignalBlocker blocker(m_metricChooser);
    m_metricChooser->clear();
    m_metricChooser->addItems(names);
    m_metricChooser->setCurrentText(current.isEmpty() ? "train/loss" : current);
    m_plot->setMetric(m_metricChooser->currentText());
}

void MainWindow::showSelectedRuns()
{
    m_plot->clear();
    QList<qint64> ids;
    try {
        auto project = store::Project::open(m_project.toStdString());
        for (int row : selectedRows()) {
            const qint64 id = m_runs->runId(row);
            ids.append(id);
            m_plot->setRunLabel(
                id, QString("run %1 %2")
                        .arg(id)
                        .arg(m_runs->data(m_runs->index(row, RunListModel::Name), Qt::DisplayRole)
                                 .toString()));
            for (const auto& name : project.database().metricNames(id)) {
                QVector<MetricPoint> points;
                for (const auto& sample : project.database().metricSeries(id, name))
                    points.append({sample.step, sample.wallTime, sample.value});
                m_plot->appendPoints(id, QString::fromStdString(name), points);
            }
        }
    } catch (const std::exception& error) {
        appendLog(QString("reading metrics: ") + error.what());
    }
    m_plot->setRuns(ids);
    showInspectors();
}

void MainWindow::appendLog(const QString& line)
{
    m_log->appendPlainText(QDateTime::currentDateTime().toString("hh:mm:ss  ") + line);
}

void MainWindow::onMetrics(qint64 runId, const QList<MetricValue>& values)
{
    std::map<QString, QVector<MetricPoint>> byName;
    for (const MetricValue& value : values)
        byName[value.name].append({value.step, value.wallTime, value.value});
    for (const auto& [name, points] : byName)
        m_plot->appendPoints(runId, name, points);
    if (runId == m_health->run()) m_health->refreshSoon();
}

void MainWindow::onProgress(qint64 step, qint64 total)
{
    if (m_progressStart < 0) {
        m_progressStart = step;
        m_progressStartTime = nowSeconds();
    }
    m_progress->setMaximum(int(total));
    m_progress->setValue(int(step));
    QString text = QString("Training run %1: step %2 of %3").arg(m_liveRun).arg(step).arg(total);
    const qint64 done = step - m_progressStart;
    if (done > 0) {
        const double eta =
            (nowSeconds() - m_progressStartTime) / double(done) * double(total - step);
        const int seconds = int(eta);
        text += QString(" — ETA %1:%2:%3")
                    .arg(seconds / 3600)
                    .arg(seconds / 60 % 60, 2, 10, QChar('0'))
                    .arg(seconds % 60, 2, 10, QChar('0'));
    }
    if (m_paused) text += " (paused)";
    m_jobLabel->setText(text);
}

void MainWindow::onFinished(qint64 runId, const QString& status)
{
    m_training = false;
    m_processRun = false;
    m_paused = false;
    m_progress->setVisible(false);
    m_jobLabel->setText(QString("Run %1 %2").arg(runId).arg(status));
    appendLog(QString("run %1 %2").arg(runId).arg(status));
    m_runs->refresh();
    refreshHumanPanes(); // the run's checkpoints can write pairs and chat now
    refreshMetricNames();
    updateActions();
    Q_EMIT runFinished(runId, status);
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
