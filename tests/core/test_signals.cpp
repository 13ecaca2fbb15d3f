// `rlhf train` asked to stop by the signals a session ends with: SIGINT (Ctrl-C), SIGTERM (kill,
// a scheduler) and SIGHUP (a closed terminal or dropped ssh session). Each stops the stage after
// the step it is in: the process exits 0 (not killed by the signal), and the run is recorded as
// stopped with a checkpoint at the step it reached, from which it can be resumed.
#include "core/store/database.h"
#include "core/util/json_file.h"
#include "tests/support/arithmetic_project.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

namespace fs = std::filesystem;
using namespace rlhf;

class TestSignals : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void signalsStopAfterTheStep_data()
    {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGINT") << SIGINT;
        QTest::newRow("SIGTERM") << SIGTERM;
        QTest::newRow("SIGHUP") << SIGHUP;
    }
    void signalsStopAfterTheStep()
    {
        QFETCH(int, signal);
        QTemporaryDir dir;
        const fs::path root = fs::path(dir.path().toStdString()) / "project";
        const std::string init = fixtures::writeArithmeticProject(root);
        const fs::path document = root / "long.json";
        writeJsonFile(document, {{"stage", "sft"},
                                 {"name", "long"},
                                 {"init", init},
                                 {"data", {{"dataset", "arith-sft"}, {"train", "train"}}},
                                 {"optimizer", {{"lr", 0.001}}},
                                 {"training",
                                  {{"steps", 100000},
                                   {"batch_size", 2},
                                   {"threads", 1},
                                   {"precision", "fp32"},
                                   {"log_every", 1},
                                   {"eval_every", 0},
                                   {"checkpoint_every", 0}}}});
        QProcess train;
        train.setProcessChannelMode(QProcess::MergedChannels);
        train.start(RLHF_BINARY_DIR "/bin/rlhf",
                    {"train", "-p", QString::fromStdString(root.string()),
                     QString::fromStdString(document.string())});
        QVERIFY(train.waitForStarted());
        QByteArray output;
        while (!output.contains("sft 2/100000")) { // two steps done: it is in the loop
            QVERIFY2(train.waitForReadyRead(120'000), output.constData());
            output += train.readAll();
        }
        QCOMPARE(::kill(pid_t(train.processId()), signal), 0);
        QVERIFY(train.waitForFinished(120'000));
        output += train.readAll();
        QCOMPARE(train.exitStatus(), QProcess::NormalExit); // not killed by the signal
        QVERIFY2(train.exitCode() == 0, output.constData());

        int64_t stoppedAt = 0;
        {
            store::Database database(root / "project.sqlite");
            const auto run = database.runs().back();
            QCOMPARE(int(run.status), int(store::RunStatus::Stopped));
            const auto checkpoint = database.latestCheckpoint(run.id);
            QVERIFY(checkpoint);
            stoppedAt = checkpoint->step;
            QVERIFY(stoppedAt >= 2 && stoppedAt < 100000);
            QVERIFY(fs::exists(root / checkpoint->path / "model.safetensors"));
        }
        qInfo("signal %d: stopped after step %lld", signal, static_cast<long long>(stoppedAt));
    }
};

QTEST_GUILESS_MAIN(TestSignals)
#include "test_signals.moc"
