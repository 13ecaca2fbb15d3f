// Several worker processes launched and watched from the studio (see processrunner.h).
#include "widgets/window/processrunner.h"

#include "core/store/database.h"
#include "core/store/project.h"

#include <nlohmann/json.hpp>

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <csignal>

namespace rlhf::widgets {

namespace {

constexpr int kPollMilliseconds = 500;
constexpr int kCancelWaitMilliseconds = 60'000; // ranks finish their step and save first

} // namespace

ProcessRunner::ProcessRunner(QObject* parent) : QObject(parent), m_executable(defaultExecutable())
{
    m_timer.setInterval(kPollMilliseconds);
    connect(&m_timer, &QTimer::timeout, this, &ProcessRunner::poll);
    connect(&m_process, &QProcess::readyReadStandardOutput, this,
            [this] { readOutput(QProcess::StandardOutput); });
    connect(&m_process, &QProcess::readyReadStandardError, this,
            [this] { readOutput(QProcess::StandardError); });
    connect(&m_process, &QProcess::finished, this, &ProcessRunner::onExit);
}

ProcessRunner::~ProcessRunner()
{
    if (!isRunning()) return;
    m_process.disconnect(this); // no signals into a half-destroyed object
    cancel();
    if (!m_process.waitForFinished(kCancelWaitMilliseconds)) m_process.kill();
}

QString ProcessRunner::defaultExecutable()
{
    const QString beside = QDir(QCoreApplication::applicationDirPath()).filePath("rlhf");
    if (QFileInfo(beside).isExecutable()) return beside;
    const QString found = QStandardPaths::findExecutable("rlhf");
    return found.isEmpty() ? QStringLiteral("rlhf") : found;
}

void ProcessRunner::start(const QString& project, const QString& document, int processes,
                          qint64 totalSteps)
{
    m_project = project;
    m_run = 0;
    m_totalSteps = totalSteps;
    m_lastStep.clear();
    m_firstError.clear();
    m_lastError.clear();
    m_runName.clear();
    try {
        QFile file(document);
        if (file.open(QIODevice::ReadOnly))
            m_runName = QString::fromStdString(
                nlohmann::json::parse(file.readAll().toStdString()).value("name", std::string()));
        m_database = std::make_unique<store::Database>(
            store::ProjectPaths(project.toStdString()).database(), store::OpenMode::ExistingOnly);
    } catch (const std::exception& error) {
        Q_EMIT failed(QString::fromUtf8(error.what()));
        Q_EMIT finished(0, QStringLiteral("failed"));
        return;
    }
    m_startedAt = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0 - 1.0;
    const QStringList arguments{"train",  "-p",      project,
                                document, "--nproc", QString::number(processes)};
    Q_EMIT logLine(tr("launching %1 processes: %2 %3")
                       .arg(processes)
                       .arg(m_executable, arguments.join(QLatin1Char(' '))));
    m_process.start(m_executable, arguments);
    m_timer.start();
}

void ProcessRunner::cancel()
{
    if (isRunning()) ::kill(pid_t(m_process.processId()), SIGINT);
}

void ProcessRunner::readOutput(QProcess::ProcessChannel channel)
{
    m_process.setReadChannel(channel);
    while (m_process.canReadLine()) {
        const QString line = QString::fromUtf8(m_process.readLine()).trimmed();
        if (line.isEmpty()) continue;
        if (channel == QProcess::StandardError) {
            if (m_firstError.isEmpty()) m_firstError = line;
            m_lastError = line;
        }
        Q_EMIT logLine(line);
    }
}

void ProcessRunner::poll()
{
    if (!m_database) return;
    try {
        if (m_run == 0) {
            for (const store::Run& run : m_database->runs())
                if (run.started >= m_startedAt && QString::fromStdString(run.name) == m_runName) {
                    m_run = run.id;
                    Q_EMIT runRecorded(m_run);
                    break;
                }
            if (m_run == 0) return;
        }
        QList<MetricValue> values;
        int64_t newest = 0;
        for (const std::string& name : m_database->metricNames(m_run)) {
            int64_t& last = m_lastStep.try_emplace(name, -1).first->second;
            for (const store::MetricSample& sample : m_database->metricSeries(m_run, name)) {
                newest = std::max(newest, sample.step);
                if (sample.step <= last) continue;
                values.append(
                    {sample.step, sample.wallTime, QString::fromStdString(name), sample.value});
                last = sample.step;
            }
        }
        if (!values.isEmpty()) {
            Q_EMIT metrics(m_run, values);
            Q_EMIT progress(newest, m_totalSteps);
        }
    } catch (const std::exception& error) {
        Q_EMIT logLine(tr("reading the run's metrics: %1").arg(QString::fromUtf8(error.what())));
    }
}

void ProcessRunner::onExit(int exitCode, QProcess::ExitStatus status)
{
    readOutput(QProcess::StandardOutput);
    readOutput(QProcess::StandardError);
    poll(); // the last metrics rank 0 wrote
    m_timer.stop();
    QString word = QStringLiteral("failed");
    if (m_run != 0 && m_database) {
        if (const auto run = m_database->run(m_run))
            word = QString::fromStdString(std::string(store::runStatusName(run->status)));
    }
    if (status != QProcess::NormalExit || exitCode != 0) {
        if (word == QLatin1String("completed")) word = QStringLiteral("failed");
        if (word != QLatin1String("stopped"))
            Q_EMIT failed(m_lastError.isEmpty()
                              ? tr("the launcher exited with code %1").arg(exitCode)
                          : m_firstError == m_lastError ? m_lastError
                                                        : m_firstError + "\n" + m_lastError);
    }
    m_database.reset();
    Q_EMIT finished(m_run, word);
}

} // namespace rlhf::widgets
