// Several worker processes from the studio: a ProcessRunner starts the real `rlhf train --nproc 2`
// on a tiny pretraining run of a real project, follows it from the database (run recorded, every
// step's loss, progress) and reports it completed; Cancel (Ctrl-C to the launcher) stops every
// rank after its step, with a checkpoint and a stopped run; a document the CLI refuses ends as
// failed with the CLI's message. Each rank's status lines fill the rank panel: in the main
// window while two ranks train (screenshots in build/screenshots/rank-status-*.png), and red
// for a rank killed with SIGKILL. The status line parser takes malformed lines without a crash,
// and the runner shows them in the log as they are.
#include "core/store/database.h"
#include "core/store/project.h"
#include "core/store/token_file.h"
#include "tests/support/tiny_pretrain_document.h"
#include "widgets/plots/metricplot.h"
#include "widgets/plots/rundashboard.h"
#include "widgets/window/mainwindow.h"
#include "widgets/window/processrunner.h"
#include "widgets/window/rankstatuspanel.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QSettings>
#include <QSignalSpy>
#include <QtTest>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>

using namespace rlhf;
using rlhf::widgets::ProcessRunner;
using rlhf::widgets::RankStatus;
using rlhf::widgets::RankStatusPanel;

namespace {

// One thread a rank: two ranks share this machine's cores.
nlohmann::json tinyDocument(const char* name, int steps)
{
    nlohmann::json document = test_support::tinyPretrainDocument(name, steps);
    document["training"]["threads"] = 1;
    return document;
}

QString cell(const RankStatusPanel& panel, int row, RankStatusPanel::Column column)
{
    const QTableWidgetItem* item = panel.item(row, column);
    return item ? item->text() : QString();
}

qint64 stepOf(const RankStatusPanel& panel, int row)
{
    return cell(panel, row, RankStatusPanel::Step).section('/', 0, 0).toLongLong();
}

// Both ranks of a two-rank run shown training, each past `step`.
bool bothTrainingPast(const RankStatusPanel& panel, qint64 step)
{
    if (panel.rowCount() != 2) return false;
    for (int row = 0; row < 2; ++row)
        if (cell(panel, row, RankStatusPanel::State) != "training" || stepOf(panel, row) <= step)
            return false;
    return true;
}

// The grab of `window` as build/screenshots/<name>.png (the README's pictures live there).
void screenshot(QWidget& window, const QString& name)
{
    QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
    QVERIFY(window.grab().save(RLHF_BINARY_DIR "/screenshots/" + name + ".png"));
}

} // namespace

class TestProcessRunner : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;

    QString writeDocument(const nlohmann::json& document)
    {
        const QString file = m_dir.filePath(QString::fromStdString(document.at("name")) + ".json");
        std::ofstream(file.toStdString()) << document.dump();
        return file;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // the main window's settings: a test location
        QSettings().clear();
        qRegisterMetaType<RankStatus>();
        // The main window's runner takes the `rlhf` of PATH when none is beside the test.
        qputenv("PATH", RLHF_BINARY_DIR "/bin:" + qgetenv("PATH"));
        m_project = m_dir.filePath("project");
        auto project = store::Project::create(m_project.toStdString());
        test_support::writeTinyPretrainTokens(project);
    }

    void followsTwoProcessesToTheEnd()
    {
        ProcessRunner runner;
        runner.setExecutable(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"));
        QSignalSpy recorded(&runner, &ProcessRunner::runRecorded);
        QSignalSpy metrics(&runner, &ProcessRunner::metrics);
        QSignalSpy progress(&runner, &ProcessRunner::progress);
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        QSignalSpy ranks(&runner, &ProcessRunner::rankStatus);
        runner.start(m_project, writeDocument(tinyDocument("two-ranks", 12)), 2, 12);
        QVERIFY(finished.wait(180'000));
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("completed"));
        std::map<int, RankStatus> last; // each rank's last word
        for (const auto& call : ranks) {
            const auto status = call.at(0).value<RankStatus>();
            last[status.rank] = status;
        }
        QCOMPARE(last.size(), size_t(2));
        QVERIFY(last[0].pid != last[1].pid);
        for (const auto& [rank, status] : last) {
            QCOMPARE(status.worldSize, 2);
            QVERIFY(status.state == RankStatus::State::Completed);
            QCOMPARE(status.step, qint64(12));
            QCOMPARE(status.totalSteps, qint64(12));
            QVERIFY(status.secondsPerStep > 0);
            QVERIFY(!status.host.isEmpty());
        }
        QCOMPARE(recorded.count(), 1);
        const qint64 run = recorded.first().at(0).toLongLong();
        QCOMPARE(finished.first().at(0).toLongLong(), run);
        int losses = 0;
        for (const auto& call : metrics)
            for (const auto& value : call.at(1).value<QList<widgets::MetricValue>>())
                losses += value.name == "train/loss";
        QCOMPARE(losses, 12); // every step once, however the polls fell
        QCOMPARE(progress.last().at(0).toLongLong(), qint64(12));

        const store::Database database(store::ProjectPaths(m_project.toStdString()).database());
        QCOMPARE(database.metricSeries(run, "train/loss").size(), size_t(12));
        QVERIFY(database.latestCheckpoint(run));
    }

    void cancelStopsEveryRank()
    {
        ProcessRunner runner;
        runner.setExecutable(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"));
        QSignalSpy metrics(&runner, &ProcessRunner::metrics);
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        runner.start(m_project, writeDocument(tinyDocument("cancelled", 100'000)), 2, 100'000);
        QVERIFY(metrics.wait(180'000)); // training has begun
        runner.cancel();
        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("stopped"));
        const store::Database database(store::ProjectPaths(m_project.toStdString()).database());
        const qint64 run = finished.first().at(0).toLongLong();
        QVERIFY(database.latestCheckpoint(run)); // resumable from where it stopped
    }

    void refusedDocumentFails()
    {
        ProcessRunner runner;
        runner.setExecutable(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"));
        QSignalSpy failed(&runner, &ProcessRunner::failed);
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        nlohmann::json document = tinyDocument("refused", 4);
        document["training"]["stepz"] = 3;
        runner.start(m_project, writeDocument(document), 2, 4);
        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("failed"));
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.first().at(0).toString().contains("stepz"),
                 qPrintable(failed.first().at(0).toString()));
    }

    // A launcher that cannot start ends the run as failed, naming it, instead of never.
    void missingLauncherFails()
    {
        ProcessRunner runner;
        runner.setExecutable(m_dir.filePath("no-such-rlhf"));
        QSignalSpy failed(&runner, &ProcessRunner::failed);
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        runner.start(m_project, writeDocument(tinyDocument("no-launcher", 4)), 2, 4);
        QVERIFY(finished.wait(30'000));
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("failed"));
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.first().at(0).toString().contains("no-such-rlhf"),
                 qPrintable(failed.first().at(0).toString()));
        QVERIFY(!runner.isRunning());
    }

    // Two ranks in the main window: the rank panel beside the log fills with both, their steps
    // advance, nobody is silent; Cancel leaves them stopped in the panel after the run.
    void mainWindowShowsEachRank()
    {
        widgets::MainWindow window;
        window.resize(1024, 640);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openProject(m_project));
        QSignalSpy finished(&window, &widgets::MainWindow::runFinished);
        RankStatusPanel& panel = *window.rankPanel();
        QVERIFY(!panel.isVisible()); // no multi-process run yet
        window.startProcessRun(writeDocument(tinyDocument("ranks-panel", 100'000)), 2, 100'000);
        QVERIFY(panel.isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(bothTrainingPast(panel, 2), 180'000);
        const qint64 seen = stepOf(panel, 1);
        QTRY_VERIFY_WITH_TIMEOUT(stepOf(panel, 1) > seen + 2, 30'000);
        for (int row = 0; row < 2; ++row) {
            QCOMPARE(cell(panel, row, RankStatusPanel::Rank), QString::number(row));
            QVERIFY(cell(panel, row, RankStatusPanel::Pid).toLongLong() > 0);
            QVERIFY(!cell(panel, row, RankStatusPanel::LastHeard).startsWith("silent"));
        }
        // A loss curve in the picture too: the plot follows rank 0's metrics in the database.
        auto losses = [&window] {
            const widgets::MetricPlot* plot = window.plot("train/loss");
            return plot ? plot->allRows().size() : 0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(losses() >= 50, 30'000);
        window.dashboard()->redrawNow();
        QCOMPARE(window.size(), QSize(1024, 640));
        screenshot(window, "rank-status-1024x640");
        window.resize(1600, 1000);
        QTRY_COMPARE(window.size(), QSize(1600, 1000));
        window.dashboard()->redrawNow();
        screenshot(window, "rank-status-1600x1000");

        window.cancelRun();
        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("stopped"));
        QVERIFY(panel.isVisible()); // until the next run
        QCOMPARE(panel.rowCount(), 2);
        for (int row = 0; row < 2; ++row)
            QCOMPARE(cell(panel, row, RankStatusPanel::State), QStringLiteral("stopped"));
    }

    // SIGKILL to rank 1 (the pid its row shows): the launcher names it, the panel shows it red
    // and failed, the other rank ended too, and the run failed.
    void killedRankFailsInThePanel()
    {
        ProcessRunner runner;
        runner.setExecutable(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"));
        RankStatusPanel panel;
        connect(&runner, &ProcessRunner::rankStatus, &panel, &RankStatusPanel::setStatus);
        QSignalSpy failed(&runner, &ProcessRunner::failed);
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        runner.start(m_project, writeDocument(tinyDocument("rank-killed", 100'000)), 2, 100'000);
        QTRY_VERIFY_WITH_TIMEOUT(bothTrainingPast(panel, 2), 180'000);
        const qint64 pid = cell(panel, 1, RankStatusPanel::Pid).toLongLong();
        QFile environment(QStringLiteral("/proc/%1/environ").arg(pid));
        QVERIFY(environment.open(QIODevice::ReadOnly));
        QVERIFY(environment.readAll().split('\0').contains("RANK=1")); // the row's pid is rank 1
        QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);

        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("failed"));
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.first().at(0).toString().contains("rank 1 was killed by signal 9"),
                 qPrintable(failed.first().at(0).toString()));
        const QString rankOne = cell(panel, 1, RankStatusPanel::State);
        QVERIFY2(rankOne.startsWith("failed: ") && rankOne.contains("killed by signal 9"),
                 qPrintable(rankOne));
        QCOMPARE(panel.item(1, RankStatusPanel::State)->foreground().color(),
                 QColor(0xc6, 0x28, 0x28));
        panel.resize(panel.sizeHint().width(), 110);
        screenshot(panel, "rank-status-failed");
        const QString rankZero = cell(panel, 0, RankStatusPanel::State);
        QVERIFY2(rankZero.startsWith("failed") || rankZero == "stopped", qPrintable(rankZero));
    }

    void parsesStatusLines()
    {
        const auto training = widgets::parseRankStatusLine(
            u"rank-status 1/2 pid=4242 host=node-1 state=training step=12/100 step_s=0.830 "
            u"newer=key");
        QVERIFY(training);
        QCOMPARE(training->rank, 1);
        QCOMPARE(training->worldSize, 2);
        QCOMPARE(training->pid, qint64(4242));
        QCOMPARE(training->host, QStringLiteral("node-1"));
        QVERIFY(training->state == RankStatus::State::Training);
        QCOMPARE(training->step, qint64(12));
        QCOMPARE(training->totalSteps, qint64(100));
        QCOMPARE(training->secondsPerStep, 0.83);
        QVERIFY(training->message.isEmpty());

        const auto failed = widgets::parseRankStatusLine(
            u"rank-status 0/2 pid=7 host=h state=failed message=lost rank 1 (pid=8); a=b  c");
        QVERIFY(failed);
        QVERIFY(failed->state == RankStatus::State::Failed);
        QCOMPARE(failed->message, QStringLiteral("lost rank 1 (pid=8); a=b  c"));

        const char* words[] = {"starting", "joined",    "training", "saving",
                               "barrier",  "completed", "stopped",  "failed"};
        for (int state = 0; state < 8; ++state) {
            const auto parsed = widgets::parseRankStatusLine(
                QStringLiteral("rank-status 0/1 pid=1 state=%1").arg(words[state]));
            QVERIFY2(parsed && int(parsed->state) == state, words[state]);
        }
    }

    void malformedStatusLines_data()
    {
        QTest::addColumn<QString>("line");
        QTest::newRow("log line") << "launching 2 ranks, rendezvous at 127.0.0.1:4000";
        QTest::newRow("prefix only") << "rank-status";
        QTest::newRow("prefix and space") << "rank-status ";
        QTest::newRow("no world") << "rank-status 1 pid=1 state=training";
        QTest::newRow("rank not below world") << "rank-status 2/2 pid=1 state=training";
        QTest::newRow("negative rank") << "rank-status -1/2 pid=1 state=training";
        QTest::newRow("no ranks") << "rank-status 0/0 pid=1 state=training";
        QTest::newRow("absurd world") << "rank-status 0/99999999999999999999 pid=1 state=training";
        QTest::newRow("no pid") << "rank-status 0/2 state=training";
        QTest::newRow("pid not a number") << "rank-status 0/2 pid=abc state=training";
        QTest::newRow("no state") << "rank-status 0/2 pid=1 step=1/2";
        QTest::newRow("unknown state") << "rank-status 0/2 pid=1 state=dancing";
        QTest::newRow("step not a fraction") << "rank-status 0/2 pid=1 state=training step=3/x";
        QTest::newRow("seconds not finite") << "rank-status 0/2 pid=1 state=training step_s=nan";
        QTest::newRow("field without =") << "rank-status 0/2 pid=1 state=training garbage";
        QTest::newRow("empty key") << "rank-status 0/2 pid=1 =x state=training";
        QTest::newRow("double space") << "rank-status 0/2 pid=1  state=training";
        QTest::newRow("cut off") << "rank-status 0/2 pid=1 sta";
        QTest::newRow("control bytes") << QString::fromUtf8("rank-status \x01\xff/\x7f pid=\x02");
        QTest::newRow("very long") << "rank-status 0/2 pid=1 state=" + QString(100'000, 'x');
    }

    // A malformed status line is no status (and no crash); the runner logs it as it is.
    void malformedStatusLines()
    {
        QFETCH(QString, line);
        QVERIFY(!widgets::parseRankStatusLine(line));
    }

    // Through a launcher that prints good and bad status lines (the last one unterminated):
    // every bad one reaches the log unchanged, the good ones are statuses, and a rank whose last
    // word was not its end is reported lost when the launcher exits.
    void runnerLogsWhatItCannotParse()
    {
        const QStringList bad{"rank-status 1/2 pid=x state=training",
                              "rank-status 5/2 pid=12 state=training",
                              "rank-status 1/2 pid=12 state=training step"};
        const QString script = m_dir.filePath("fake-launcher.sh");
        std::ofstream(script.toStdString())
            << "#!/bin/sh\n"
            << "echo 'rank-status 0/2 pid=11 host=h state=training step=1/4'\n"
            << "echo '" << bad[0].toStdString() << "'\n"
            << "echo '" << bad[1].toStdString() << "'\n"
            << "echo 'rank-status 1/2 pid=12 host=h state=failed message=boom'\n"
            << "printf '%s' '" << bad[2].toStdString() << "'\n";
        QFile::setPermissions(script, QFile::ReadOwner | QFile::ExeOwner);
        ProcessRunner runner;
        runner.setExecutable(script);
        QSignalSpy logged(&runner, &ProcessRunner::logLine);
        QSignalSpy ranks(&runner, &ProcessRunner::rankStatus);
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        runner.start(m_project, writeDocument(tinyDocument("fake", 4)), 2, 4);
        QVERIFY(finished.wait(30'000));
        QStringList lines;
        for (const auto& call : logged)
            lines.append(call.at(0).toString());
        for (const QString& line : bad)
            QVERIFY2(lines.contains(line), qPrintable(lines.join('\n')));
        QCOMPARE(ranks.count(), 3); // rank 0 training, rank 1 failed, rank 0 lost at the exit
        const auto rankOne = ranks.at(1).at(0).value<RankStatus>();
        QCOMPARE(rankOne.message, QStringLiteral("boom"));
        const auto lost = ranks.at(2).at(0).value<RankStatus>();
        QCOMPARE(lost.rank, 0);
        QVERIFY(lost.state == RankStatus::State::Failed && lost.message.startsWith("lost"));
        QCOMPARE(lost.step, qint64(1));
    }

    // A running rank not heard for seconds is "silent for N s" in a warning colour; one that
    // has ended is not silent; a failed one is red with its reason. Rows follow the ranks.
    void panelShowsSilenceAndFailure()
    {
        RankStatusPanel panel;
        RankStatus quiet;
        quiet.rank = 1;
        quiet.worldSize = 2;
        quiet.pid = 42;
        quiet.host = "h";
        quiet.state = RankStatus::State::Training;
        quiet.heard = QDateTime::currentDateTime().addSecs(-10);
        RankStatus heard = quiet;
        heard.rank = 0;
        heard.heard = QDateTime::currentDateTime();
        panel.setStatus(quiet);
        panel.setStatus(heard);
        QCOMPARE(panel.rowCount(), 2);
        QCOMPARE(cell(panel, 0, RankStatusPanel::Rank), QStringLiteral("0"));
        QVERIFY(!cell(panel, 0, RankStatusPanel::LastHeard).startsWith("silent"));
        QCOMPARE(panel.item(0, RankStatusPanel::State)->foreground().style(), Qt::NoBrush);
        QCOMPARE(cell(panel, 1, RankStatusPanel::LastHeard), QStringLiteral("silent for 10 s"));
        QCOMPARE(panel.item(1, RankStatusPanel::LastHeard)->foreground().color(),
                 QColor(0xb3, 0x54, 0x00));

        quiet.state = RankStatus::State::Failed;
        quiet.message = "collective timed out after 5 s";
        panel.setStatus(quiet);
        QCOMPARE(panel.rowCount(), 2);
        QCOMPARE(cell(panel, 1, RankStatusPanel::State),
                 QStringLiteral("failed: collective timed out after 5 s"));
        QVERIFY(!cell(panel, 1, RankStatusPanel::LastHeard).startsWith("silent"));
        QCOMPARE(panel.item(1, RankStatusPanel::State)->foreground().color(),
                 QColor(0xc6, 0x28, 0x28));
        panel.clearRanks();
        QCOMPARE(panel.rowCount(), 0);
    }
};

QTEST_MAIN(TestProcessRunner)
#include "test_process_runner.moc"
