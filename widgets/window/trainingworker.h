// Runs one stage document on its own thread for the studio: the GUI thread never trains. Core
// callbacks become queued signals, metrics batched to at most ~10 deliveries a second. Pause,
// resume and cancel act between optimizer steps; cancel leaves a checkpoint and a stopped run.
#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include <memory>

namespace rlhf::widgets {

struct MetricValue {
    qint64 step = 0;
    double wallTime = 0; // seconds since the Unix epoch
    QString name;        // e.g. "train/loss"
    double value = 0;
};

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    explicit TrainingWorker(QObject* parent = nullptr);
    ~TrainingWorker() override;

    // Thread-safe: callable from the GUI thread while run() executes on the worker thread.
    void pause();
    void resume();
    void cancel();

    // The status text of phaseProgress: "Caching reference log-probabilities: 1,200 of 5,000
    // pairs (24%)", numbers in the user's locale.
    static QString phaseText(const QString& phase, const QString& unit, qint64 done, qint64 total);

public Q_SLOTS:
    // Runs `documentJson` (a stage document) in `project`; returns when the run ends.
    void run(const QString& project, const QString& documentJson);

Q_SIGNALS:
    void runRecorded(qint64 runId);
    void metrics(qint64 runId, const QList<rlhf::widgets::MetricValue>& values);
    void logLine(const QString& line);
    void progress(qint64 step, qint64 total);
    // A long phase before the first step (DPO caching its reference's log-probabilities, a large
    // dataset being encoded): `done` of `total`, and a status-bar text such as "Caching reference
    // log-probabilities: 1,200 of 5,000 pairs (24%)". Its log lines come through logLine too.
    void phaseProgress(const QString& text, qint64 done, qint64 total);
    void checkpointSaved(const QString& path, qint64 step);
    void finished(qint64 runId, const QString& status); // "completed", "stopped" or "failed"
    void failed(const QString& message);                // the core's message with its context

private:
    struct Control;
    std::unique_ptr<Control> m_control; // the stop/pause token shared with the running stage
};

} // namespace rlhf::widgets

Q_DECLARE_METATYPE(rlhf::widgets::MetricValue)
