#include "widgets/window/trainingworker.h"

#include "core/train/stage_runner.h"

#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QLocale>

#include <chrono>

namespace rlhf::widgets {

struct TrainingWorker::Control {
    train::StopToken stop;
};

namespace {

double unixNow()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

// Core observer -> worker signals. Runs on the worker thread; the signals are queued to the GUI.
class SignalObserver final : public train::StageObserver {
public:
    SignalObserver(TrainingWorker& worker, const train::StopToken& stop)
        : m_worker(worker), m_stop(stop)
    {
        m_sinceFlush.start();
    }

    void onRunRecorded(int64_t runId) override
    {
        m_runId = runId;
        Q_EMIT m_worker.runRecorded(runId);
    }
    void onMetrics(const train::StepMetrics& metrics) override
    {
        const double now = unixNow();
        for (const auto& [name, value] : metrics.values)
            m_pending.append({metrics.step, now, QString::fromStdString(name), value});
        if (m_sinceFlush.elapsed() >= 100) flush(); // at most ~10 deliveries a second
    }
    void onLog(const std::string& line) override
    {
        Q_EMIT m_worker.logLine(QString::fromStdString(line));
    }
    void onProgress(int64_t step, int64_t total) override
    {
        if (m_stop.paused() || m_stop.stopRequested()) flush(); // show every step before a pause
        Q_EMIT m_worker.progress(step, total);
    }
    void onPhaseProgress(const std::string& phase, const std::string& unit, int64_t done,
                         int64_t total) override
    {
        Q_EMIT m_worker.phaseProgress(TrainingWorker::phaseText(QString::fromStdString(phase),
                                                                QString::fromStdString(unit), done,
                                                                total),
                                      done, total);
    }
    void onCheckpoint(const std::string& path, int64_t step) override
    {
        flush();
        Q_EMIT m_worker.checkpointSaved(QString::fromStdString(path), step);
    }

    void flush()
    {
        if (!m_pending.isEmpty()) Q_EMIT m_worker.metrics(m_runId, m_pending);
        m_pending.clear();
        m_sinceFlush.restart();
    }
    qint64 runId() const { return m_runId; }

private:
    TrainingWorker& m_worker;
    const train::StopToken& m_stop;
    QList<MetricValue> m_pending;
    QElapsedTimer m_sinceFlush;
    qint64 m_runId = 0;
};

} // namespace

TrainingWorker::TrainingWorker(QObject* parent)
    : QObject(parent), m_control(std::make_unique<Control>())
{
    qRegisterMetaType<rlhf::widgets::MetricValue>();
    qRegisterMetaType<QList<rlhf::widgets::MetricValue>>();
}

TrainingWorker::~TrainingWorker() = default;

QString TrainingWorker::phaseText(const QString& phase, const QString& unit, qint64 done,
                                  qint64 total)
{
    const QLocale locale;
    QString text = phase.left(1).toUpper() + phase.mid(1) + QStringLiteral(": ") +
                   tr("%1 of %2 %3").arg(locale.toString(done), locale.toString(total), unit);
    if (total > 0) text += QStringLiteral(" (%1%)").arg(done * 100 / total);
    return text;
}

void TrainingWorker::pause()
{
    m_control->stop.setPaused(true);
}
void TrainingWorker::resume()
{
    m_control->stop.setPaused(false);
}
void TrainingWorker::cancel()
{
    m_control->stop.requestStop();
}

void TrainingWorker::run(const QString& project, const QString& documentJson)
{
    m_control->stop.reset();
    SignalObserver observer(*this, m_control->stop);
    try {
        const auto document = nlohmann::json::parse(documentJson.toStdString());
        const auto report = train::runStage(project.toStdString(), document, "stage document",
                                            observer, m_control->stop);
        observer.flush();
        Q_EMIT finished(report.runId, QString::fromStdString(report.status));
    } catch (const std::exception& error) {
        observer.flush();
        Q_EMIT failed(QString::fromUtf8(error.what()));
        Q_EMIT finished(observer.runId(), QStringLiteral("failed"));
    }
}

} // namespace rlhf::widgets
