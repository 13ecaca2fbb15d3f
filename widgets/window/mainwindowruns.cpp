// The main window's runs (MainWindow members, kept out of mainwindow.cpp): starting, pausing,
// cancelling and resuming them, the dashboard of the selected runs, live metrics and progress.
#include "widgets/window/mainwindow.h"

#include "core/model/torch_runtime.h"
#include "core/store/project.h"
#include "widgets/plots/metricplot.h"
#include "widgets/plots/rundashboard.h"
#include "widgets/stagewizard/stagewizard.h"
#include "widgets/window/dataview.h"
#include "widgets/window/healthpanel.h"
#include "widgets/window/processrunner.h"
#include "widgets/window/rankstatuspanel.h"
#include "widgets/window/runlistmodel.h"

#include <nlohmann/json.hpp>

#include <QDockWidget>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QTabWidget>
#include <QTableView>

#include <map>

namespace rlhf::widgets {

namespace {

double secondsOf(const QElapsedTimer& clock)
{
    return double(clock.nsecsElapsed()) / 1e9;
}

QString clockText(int seconds)
{
    return QString("%1:%2:%3")
        .arg(seconds / 3600)
        .arg(seconds / 60 % 60, 2, 10, QChar('0'))
        .arg(seconds % 60, 2, 10, QChar('0'));
}

} // namespace

void MainWindow::newRun()
{
    StageWizard wizard(m_project, model::cudaDevices(), this);
    const bool start = wizard.exec() == QDialog::Accepted && wizard.startsRun();
    m_data->refresh(); // a tokenizer the wizard trained, token files it wrote
    if (!start) return;
    m_tabs->setCurrentIndex(0); // the Runs tab: the new run's dashboard
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
    m_eta.reset();
    m_runClock.start();
    m_jobLabel->setText(tr("Starting %1 processes…").arg(processes));
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_rankPanel->clearRanks();
    m_rankDock->show();
    resizeDocks({m_rankDock}, {m_rankPanel->sizeHint().width()}, Qt::Horizontal);
    m_processRunner->start(m_project, document, processes, steps);
    updateActions();
}

void MainWindow::startRun(const QString& documentJson)
{
    m_training = true;
    m_paused = false;
    m_eta.reset();
    m_runClock.start();
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
    m_runs->setPausedRun(m_paused ? m_liveRun : 0);
    m_eta.reset(); // the pause is no part of the rate
    appendLog(m_paused ? "paused" : "resumed");
    if (m_paused) m_jobLabel->setText(tr("Run %1 paused (Run > Resume goes on)").arg(m_liveRun));
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
    m_runs->setPausedRun(0);
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

QList<int> MainWindow::selectedRows() const
{
    QList<int> rows;
    for (const QModelIndex& index : m_runTable->selectionModel()->selectedRows())
        rows.append(index.row());
    std::sort(rows.begin(), rows.end());
    return rows;
}

MetricPlot* MainWindow::plot(const QString& metric) const
{
    return m_dashboard->chart(metric);
}

// The dashboard of the selected runs: their stages' charts, every point they logged.
void MainWindow::showSelectedRuns()
{
    QList<RunDashboard::RunInfo> runs;
    for (int row : selectedRows()) {
        const qint64 id = m_runs->runId(row);
        runs.append({id,
                     QString("run %1 %2")
                         .arg(id)
                         .arg(m_runs->data(m_runs->index(row, RunListModel::Name), Qt::DisplayRole)
                                  .toString()),
                     m_runs->stage(row)});
    }
    m_dashboard->setRuns(runs);
    if (!m_project.isEmpty()) {
        try {
            auto project = store::Project::open(m_project.toStdString());
            for (const auto& run : runs)
                for (const auto& name : project.database().metricNames(run.id)) {
                    QVector<MetricPoint> points;
                    for (const auto& sample : project.database().metricSeries(run.id, name))
                        points.append({sample.step, sample.wallTime, sample.value});
                    m_dashboard->appendPoints(run.id, QString::fromStdString(name), points);
                }
        } catch (const std::exception& error) {
            appendLog(QString("reading metrics: ") + error.what());
        }
    }
    showInspectors();
}

void MainWindow::onMetrics(qint64 runId, const QList<MetricValue>& values)
{
    std::map<QString, QVector<MetricPoint>> byName;
    for (const MetricValue& value : values) {
        byName[value.name].append({value.step, value.wallTime, value.value});
        m_runs->noteMetric(runId, value.name, value.value); // best values follow the run
    }
    if (m_dashboard->runs().contains(runId))
        for (const auto& [name, points] : byName)
            m_dashboard->appendPoints(runId, name, points);
    if (runId == m_health->run()) m_health->refreshSoon();
}

void MainWindow::onProgress(qint64 step, qint64 total)
{
    m_eta.addStep(step, secondsOf(m_runClock));
    m_progress->setMaximum(int(total));
    m_progress->setValue(int(step));
    QString text = QString("Training run %1: step %2 of %3").arg(m_liveRun).arg(step).arg(total);
    if (const auto left = m_eta.secondsLeft(total)) text += " — ETA " + clockText(int(*left));
    if (m_paused) text += " (paused)";
    m_jobLabel->setText(text);
}

void MainWindow::onFinished(qint64 runId, const QString& status)
{
    m_training = false;
    m_processRun = false;
    m_paused = false;
    m_runs->setPausedRun(0);
    m_progress->setVisible(false);
    m_jobLabel->setText(QString("Run %1 %2").arg(runId).arg(status));
    appendLog(QString("run %1 %2").arg(runId).arg(status));
    m_runs->refresh();
    refreshHumanPanes(); // the run's checkpoints can write pairs and chat now
    updateActions();
    Q_EMIT runFinished(runId, status);
}

} // namespace rlhf::widgets
