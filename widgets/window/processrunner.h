// A run of several data-parallel worker processes launched from the studio: the `rlhf`
// executable beside the studio runs `rlhf train -p PROJECT DOCUMENT --nproc N`, which starts the
// ranks and joins them over Gloo / NCCL (core/dist). The studio never trains in this case: the
// launcher's output lines go to the log, and the run, its metrics and progress are read from the
// project database as rank 0 writes them. Cancel is Ctrl-C to the launcher, which stops every
// rank after its step with a checkpoint. Same signals as TrainingWorker, so the main window
// treats both alike.
#pragma once

#include "widgets/window/trainingworker.h"

#include <QObject>
#include <QProcess>
#include <QString>
#include <QTimer>

#include <map>
#include <memory>
#include <string>

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

class ProcessRunner : public QObject {
    Q_OBJECT
public:
    explicit ProcessRunner(QObject* parent = nullptr);
    ~ProcessRunner() override; // a run still going is cancelled and waited for

    // The `rlhf` beside this application (where the build and the package put it), else PATH's.
    static QString defaultExecutable();
    void setExecutable(const QString& path) { m_executable = path; }

    // Starts the launcher for `document` (a stage document file of `project`) with `processes`
    // ranks; `totalSteps` is the document's training.steps, for the progress bar.
    void start(const QString& project, const QString& document, int processes, qint64 totalSteps);
    void cancel(); // Ctrl-C to the launcher: every rank stops after its step with a checkpoint
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }

Q_SIGNALS:
    void runRecorded(qint64 runId);
    void metrics(qint64 runId, const QList<rlhf::widgets::MetricValue>& values);
    void logLine(const QString& line);
    void progress(qint64 step, qint64 total);
    void finished(qint64 runId, const QString& status); // "completed", "stopped" or "failed"
    void failed(const QString& message);

private:
    void poll(); // new metrics of the run, from the database
    void readOutput(QProcess::ProcessChannel channel);
    void onExit(int exitCode, QProcess::ExitStatus status);

    QString m_executable;
    QString m_project;
    QString m_runName;
    QProcess m_process;
    QTimer m_timer;
    std::unique_ptr<store::Database> m_database;
    double m_startedAt = 0; // seconds since the epoch: the run is the first of that name after it
    qint64 m_run = 0;
    qint64 m_totalSteps = 0;
    std::map<std::string, int64_t> m_lastStep; // per metric name, what was delivered
    QString m_firstError; // the first stderr line: usually the cause (a refused field)
    QString m_lastError;  // the last: usually which rank ended the run
};

} // namespace rlhf::widgets
