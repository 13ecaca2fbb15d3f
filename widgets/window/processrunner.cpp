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

#include <algorithm>
#include <array>
#include <cmath>
#include <csignal>
#include <vector>

namespace rlhf::widgets {

namespace {

constexpr int kPollMilliseconds = 500;
constexpr int kCancelWaitMilliseconds = 60'000; // ranks finish their step and save first

const QLatin1String kStatusPrefix("rank-status ");
const QLatin1String kMessageKey("message=");
constexpr qint64 kMostRanks = 1 << 20; // a larger world is a garbled line, not a job
// The words of the states, in the order of RankStatus::State (app/cli/rank_status.cpp).
const std::array<QLatin1String, 8> kStateWords{
    QLatin1String("starting"), QLatin1String("joined"),  QLatin1String("training"),
    QLatin1String("saving"),   QLatin1String("barrier"), QLatin1String("completed"),
    QLatin1String("stopped"),  QLatin1String("failed")};

// "N/T" with both whole numbers from 0.
bool readFraction(QStringView text, qint64& numerator, qint64& denominator)
{
    const qsizetype slash = text.indexOf(u'/');
    if (slash < 0) return false;
    bool numeratorOk = false, denominatorOk = false;
    numerator = text.left(slash).toLongLong(&numeratorOk);
    denominator = text.mid(slash + 1).toLongLong(&denominatorOk);
    return numeratorOk && denominatorOk && numerator >= 0 && denominator >= 0;
}

// One key=value field of a status line into `status`; false when the value is not one the key
// takes. Keys this studio does not know are skipped, for lines of a newer `rlhf`.
bool readField(QStringView key, QStringView value, RankStatus& status, bool& sawState)
{
    bool ok = true;
    if (key == u"pid") {
        status.pid = value.toLongLong(&ok);
        return ok && status.pid > 0;
    }
    if (key == u"host") {
        status.host = value.toString();
        return !value.isEmpty();
    }
    if (key == u"state") {
        const auto word = std::find(kStateWords.begin(), kStateWords.end(), value);
        status.state = RankStatus::State(word - kStateWords.begin());
        sawState = word != kStateWords.end();
        return sawState;
    }
    if (key == u"step") return readFraction(value, status.step, status.totalSteps);
    if (key == u"step_s") {
        status.secondsPerStep = value.toDouble(&ok);
        return ok && std::isfinite(status.secondsPerStep) && status.secondsPerStep >= 0;
    }
    return true;
}

} // namespace

std::optional<RankStatus> parseRankStatusLine(QStringView line)
{
    if (!line.startsWith(kStatusPrefix)) return std::nullopt;
    QStringView rest = line.mid(kStatusPrefix.size());
    // Takes the next space-separated field off `rest`.
    auto nextField = [&rest] {
        const qsizetype space = rest.indexOf(u' ');
        const QStringView field = space < 0 ? rest : rest.left(space);
        rest = space < 0 ? QStringView() : rest.mid(space + 1);
        return field;
    };
    RankStatus status;
    qint64 rank = 0, worldSize = 0;
    if (!readFraction(nextField(), rank, worldSize) || worldSize < 1 || rank >= worldSize ||
        worldSize > kMostRanks)
        return std::nullopt;
    status.rank = int(rank);
    status.worldSize = int(worldSize);
    bool sawState = false;
    while (!rest.isEmpty()) {
        if (rest.startsWith(kMessageKey)) { // the last field: the rest of the line
            status.message = rest.mid(kMessageKey.size()).toString();
            break;
        }
        const QStringView field = nextField();
        const qsizetype equals = field.indexOf(u'=');
        if (equals <= 0 || !readField(field.left(equals), field.mid(equals + 1), status, sawState))
            return std::nullopt;
    }
    if (status.pid == 0 || !sawState) return std::nullopt;
    return status;
}

ProcessRunner::ProcessRunner(QObject* parent) : QObject(parent), m_executable(defaultExecutable())
{
    m_timer.setInterval(kPollMilliseconds);
    connect(&m_timer, &QTimer::timeout, this, &ProcessRunner::poll);
    connect(&m_process, &QProcess::readyReadStandardOutput, this,
            [this] { readOutput(QProcess::StandardOutput); });
    connect(&m_process, &QProcess::readyReadStandardError, this,
            [this] { readOutput(QProcess::StandardError); });
    connect(&m_process, &QProcess::finished, this, &ProcessRunner::onExit);
    // A launcher that never starts never finishes either: end the run here.
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart) return;
        m_timer.stop();
        m_database.reset();
        Q_EMIT failed(tr("cannot start %1: %2").arg(m_executable, m_process.errorString()));
        Q_EMIT finished(0, QStringLiteral("failed"));
    });
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
    m_ranks.clear();
    const QStringList arguments{
        "train", "-p", project, document, "--nproc", QString::number(processes), "--rank-status"};
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
    while (m_process.canReadLine())
        handleLine(QString::fromUtf8(m_process.readLine()).trimmed(), channel);
    // After the exit, an unterminated last line is a line too.
    if (m_process.state() == QProcess::NotRunning)
        handleLine(QString::fromUtf8(m_process.readAll()).trimmed(), channel);
}

void ProcessRunner::handleLine(const QString& line, QProcess::ProcessChannel channel)
{
    if (line.isEmpty()) return;
    if (channel == QProcess::StandardOutput) {
        if (auto status = parseRankStatusLine(line)) {
            status->heard = QDateTime::currentDateTime();
            updateRank(*status);
            return;
        }
    } else {
        if (m_firstError.isEmpty()) m_firstError = line;
        m_lastError = line;
    }
    Q_EMIT logLine(line);
}

void ProcessRunner::updateRank(RankStatus status)
{
    const auto known = m_ranks.find(status.rank);
    if (known != m_ranks.end()) {
        const RankStatus& previous = known->second;
        // The launcher's word on a failed rank ("process exited with status 1") follows the
        // rank's own reason: keep both.
        if (previous.state == RankStatus::State::Failed &&
            status.state == RankStatus::State::Failed && !previous.message.isEmpty() &&
            !previous.message.contains(status.message))
            status.message = previous.message + "; " + status.message;
        // The launcher's lines carry no step or speed: the rank's last stand.
        if (status.totalSteps == 0) {
            status.step = previous.step;
            status.totalSteps = previous.totalSteps;
        }
        if (status.secondsPerStep == 0) status.secondsPerStep = previous.secondsPerStep;
    }
    m_ranks[status.rank] = status;
    Q_EMIT rankStatus(status);
}

void ProcessRunner::reportLostRanks()
{
    std::vector<RankStatus> lost;
    for (const auto& [rank, status] : m_ranks)
        if (!status.ended()) lost.push_back(status); // last heard stays when it was last heard
    for (RankStatus& status : lost) {
        status.state = RankStatus::State::Failed;
        status.message = tr("lost: the launcher exited without word of this rank's end");
        updateRank(status);
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
    reportLostRanks();
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
