// /proc readings of a process: CPU seconds grow while it computes, resident memory is real, a
// child and its own child are found below this process, and a gone process reads as nothing.
#include "core/util/process_usage.h"

#include <QProcess>
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <vector>

using namespace rlhf;

class TestProcessUsage : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void thisProcess()
    {
        const auto before = processUsage();
        QVERIFY(before);
        QVERIFY(before->residentBytes > 1 << 20); // a Qt test holds more than a MiB
        std::vector<char> touched(64 << 20, 1);   // 64 MiB, every page written
        volatile double sink = 0;
        const auto start = std::chrono::steady_clock::now();
        while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300))
            for (int i = 0; i < 1000; ++i)
                sink = sink + double(touched[size_t(i) * 4096]) * 1e-9;
        const auto after = processUsage();
        QVERIFY(after->cpuSeconds > before->cpuSeconds); // 0.3 s busy: several clock ticks
        QVERIFY(after->residentBytes >= before->residentBytes + (48 << 20));
        QVERIFY(cpuPercent(*before, *after, 0.3) > 0);
        QCOMPARE(cpuPercent(*before, *after, 0), 0.0);
    }

    void childrenAndGrandchildren()
    {
        // sh starts sleep as its child: both are below this process.
        QProcess shell;
        shell.start("sh", {"-c", "sleep 30 & wait"});
        QVERIFY(shell.waitForStarted());
        std::vector<int64_t> below;
        QTRY_VERIFY((below = descendantProcesses()).size() >= 2);
        QVERIFY(std::find(below.begin(), below.end(), shell.processId()) != below.end());
        const auto shells = descendantProcesses(shell.processId());
        QCOMPARE(shells.size(), size_t(1)); // its sleep
        QVERIFY(processUsage(shells.front()));
        const int64_t pid = shell.processId(); // 0 once it has finished
        shell.kill();
        QVERIFY(shell.waitForFinished());
        QVERIFY(!processUsage(pid)); // reaped: gone
        QVERIFY(descendantProcesses(pid).empty());
    }
};

QTEST_MAIN(TestProcessUsage)
#include "test_process_usage.moc"
