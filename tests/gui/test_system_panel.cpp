// The dashboard's system line: CPU and memory of the studio and every process under it (a
// multi-process run's ranks), read from /proc; a GPU part only where there are GPUs, and a
// missing nvidia-smi said plainly rather than hidden.
#include "widgets/window/systempanel.h"

#include <QProcess>
#include <QRegularExpression>
#include <QtTest>

using rlhf::widgets::SystemPanel;

class TestSystemPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void countsTheRunsProcesses()
    {
        SystemPanel panel;
        panel.refreshNow();
        QCOMPARE(panel.processCount(), 1);
        QVERIFY2(panel.text().startsWith("CPU … of "), qPrintable(panel.text())); // one reading
        QVERIFY(!panel.text().contains("GPU"));

        QProcess busy; // a rank that computes
        busy.start("sh", {"-c", "while :; do :; done"});
        QVERIFY(busy.waitForStarted());
        QTest::qWait(500);
        panel.refreshNow();
        QCOMPARE(panel.processCount(), 2);
        const QRegularExpression reading(
            R"(^CPU (\d+)% of \d+ cores · memory [0-9.]+ of [0-9.]+ GiB \(2 processes\)$)");
        const auto match = reading.match(panel.text());
        QVERIFY2(match.hasMatch(), qPrintable(panel.text()));
        busy.kill();
        QVERIFY(busy.waitForFinished());
    }

    void gpusWithoutNvidiaSmi()
    {
        SystemPanel panel;
        qputenv("PATH", "/nonexistent"); // no nvidia-smi to start
        panel.setGpuCount(1);
        panel.refreshNow();
        QTRY_VERIFY2(panel.text().endsWith("GPU: nvidia-smi not found"), qPrintable(panel.text()));
    }
};

QTEST_MAIN(TestSystemPanel)
#include "test_system_panel.moc"
