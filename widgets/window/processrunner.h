// A run of several data-parallel worker processes launched from the studio: the `rlhf`
// executable beside the studio runs `rlhf train -p PROJECT DOCUMENT --nproc N`, which starts the
// ranks and joins them over Gloo / NCCL (core/dist). The studio never trains in this case: the
// launcher's output lines go to the log, and the run, its metrics and progress are read from the
// project database as rank 0 writes them. Cancel is Ctrl-C to the launcher, which stops every
// rank after its step with a checkpoint. Same signals as TrainingWorker, so the main window
// treats both alike; besides, every rank's status lines (`rlhf train --rank-status`, format in
// app/cli/rank_status.h) become rankStatus signals instead of log lines.
#pragma once

#include "widgets/window/trainingworker.h"

#include <QDateTime>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringView>
#include <QTimer>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

// One rank of a multi-process run, as its last status line (or the launcher's) told it.
struct RankStatus {
    // In the order a rank goes through them; the last three are how it ended.
    enum class State { Starting, Joined, Training, Saving, Barrier, Completed, Stopped, Failed };

    int rank = 0;      // 0 .. worldSize - 1
    int worldSize = 0; // ranks in the job
    qint64 pid = 0;    // the rank's process on its host
    QString host;      // empty when the line named none
    State state = State::Starting;
    qint64 step = 0;           // optimizer steps done
    qint64 totalSteps = 0;     // 0 while unknown
    double secondsPerStep = 0; // the last step's; 0 while unknown
    QString message;           // why it failed
    QDateTime heard;           // when the studio read the line

    bool ended() const { return state >= State::Completed; }
};

// The status a `rank-status` line carries (without `heard`), or nullopt when `line` is anything
// else, a malformed status line included: the caller shows such a line as it is.
std::optional<RankStatus> parseRankStatusLine(QStringView line);

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
    // A rank reported (or the launcher reported on it); after the launcher exits, a rank that
    // never said how it ended is reported failed ("lost").
    void rankStatus(const rlhf::widgets::RankStatus& status);

private:
    void poll(); // new metrics of the run, from the database
    void readOutput(QProcess::ProcessChannel channel);
    void handleLine(const QString& line, QProcess::ProcessChannel channel);
    void updateRank(RankStatus status);
    void reportLostRanks(); // at the launcher's exit
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
    QString m_firstError;              // the first stderr line: usually the cause (a refused field)
    QString m_lastError;               // the last: usually which rank ended the run
    std::map<int, RankStatus> m_ranks; // by rank: the latest status of each
};

} // namespace rlhf::widgets

Q_DECLARE_METATYPE(rlhf::widgets::RankStatus)
