// Long phases before a stage's first step report through the stage observer, so a run is never
// silent at "Starting run… 0%": PhaseProgress's lines and onPhaseProgress calls (start, every
// interval, end; a usually quick phase only when slow), and a real tiny DPO run on the arithmetic
// project whose reference log-probability caching is reported, start to end, before its first
// training step.
#include "core/store/project.h"
#include "core/train/stage_runner.h"
#include "tests/support/arithmetic_project.h"

#include <QTemporaryDir>
#include <QRegularExpression>
#include <QtTest>

#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace rlhf;
using train::PhaseProgress;

namespace {

// Every observer call in order: "log: <line>", "phase: <phase> <done>/<total> <unit>",
// "progress: <step>/<total>", "metrics: <step>".
struct Recorder : train::StageObserver {
    std::vector<std::string> events;

    void onLog(const std::string& line) override { events.push_back("log: " + line); }
    void onPhaseProgress(const std::string& phase, const std::string& unit, int64_t done,
                         int64_t total) override
    {
        events.push_back("phase: " + phase + " " + std::to_string(done) + "/" +
                         std::to_string(total) + " " + unit);
    }
    void onProgress(int64_t step, int64_t total) override
    {
        events.push_back("progress: " + std::to_string(step) + "/" + std::to_string(total));
    }
    void onMetrics(const train::StepMetrics& metrics) override
    {
        events.push_back("metrics: " + std::to_string(metrics.step));
    }

    // The index of the first event starting with `prefix`; -1 when none does.
    int find(const std::string& prefix) const
    {
        for (size_t i = 0; i < events.size(); ++i)
            if (events[i].rfind(prefix, 0) == 0) return int(i);
        return -1;
    }
};

QString joined(const std::vector<std::string>& lines)
{
    QString text;
    for (const std::string& line : lines)
        text += QString::fromStdString(line) + "\n";
    return text;
}

} // namespace

class TestStageProgress : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void countsReadWithSeparators()
    {
        QCOMPARE(PhaseProgress::count(0), std::string("0"));
        QCOMPARE(PhaseProgress::count(999), std::string("999"));
        QCOMPARE(PhaseProgress::count(1000), std::string("1,000"));
        QCOMPARE(PhaseProgress::count(1234567), std::string("1,234,567"));
        QCOMPARE(PhaseProgress::count(-45000), std::string("-45,000"));
    }

    void reportsStartIntervalsAndEnd()
    {
        Recorder recorder;
        {
            PhaseProgress phase(recorder, "caching reference log-probabilities", "pairs", 5000,
                                PhaseProgress::Announce::AtStart, std::chrono::milliseconds(0));
            phase.advance(1200);
            phase.advance(3800); // the end is finish()'s to report
            phase.finish();
            phase.finish(); // once
        }
        QCOMPARE(recorder.events.size(), size_t(6));
        QCOMPARE(recorder.events[0],
                 std::string("log: caching reference log-probabilities of 5,000 pairs…"));
        QCOMPARE(recorder.events[1],
                 std::string("phase: caching reference log-probabilities 0/5000 pairs"));
        QCOMPARE(recorder.events[2],
                 std::string("log: caching reference log-probabilities: 1,200 of 5,000 pairs"));
        QCOMPARE(recorder.events[3],
                 std::string("phase: caching reference log-probabilities 1200/5000 pairs"));
        QVERIFY2(QRegularExpression("^log: caching reference log-probabilities: 5,000 "
                                    "pairs in [0-9]+\\.[0-9] s$")
                     .match(QString::fromStdString(recorder.events[4]))
                     .hasMatch(),
                 recorder.events[4].c_str());
        QCOMPARE(recorder.events[5],
                 std::string("phase: caching reference log-probabilities 5000/5000 pairs"));
    }

    void quickPhasesStaySilent()
    {
        Recorder recorder;
        PhaseProgress quick(recorder, "encoding the train pairs", "pairs", 3,
                            PhaseProgress::Announce::WhenSlow);
        for (int i = 0; i < 3; ++i)
            quick.advance(1);
        quick.finish();
        QVERIFY2(recorder.events.empty(), qPrintable(joined(recorder.events)));

        // The same phase outlasting its interval: progress, then the end line.
        PhaseProgress slow(recorder, "encoding the train pairs", "pairs", 3,
                           PhaseProgress::Announce::WhenSlow, std::chrono::milliseconds(0));
        slow.advance(1);
        slow.finish();
        QCOMPARE(recorder.events.size(), size_t(4));
        QCOMPARE(recorder.events[0], std::string("log: encoding the train pairs: 1 of 3 pairs"));
        QCOMPARE(recorder.events[3], std::string("phase: encoding the train pairs 3/3 pairs"));
    }

    // A real DPO run: the caching is announced with its pair count, reaches that count, and
    // ends, all before the first training step; the studio and the CLI see it through the same
    // observer runStage is given.
    void dpoReportsReferenceCachingBeforeItsFirstStep()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path root = fs::path(dir.path().toStdString()) / "project";
        const std::string init = fixtures::writeArithmeticProject(root);
        const nlohmann::json document = fixtures::tinyDpoDocument(init, 5);
        Recorder recorder;
        train::StopToken stop;
        const auto report = train::runStage(root, document, "dpo.json", recorder, stop);
        QCOMPARE(report.status, std::string("completed"));
        const QString events = joined(recorder.events);

        const int start = recorder.find("log: caching reference log-probabilities of ");
        const int firstStep = std::min(recorder.find("progress: "), recorder.find("metrics: "));
        QVERIFY2(start >= 0 && firstStep > start, qPrintable(events));
        const QRegularExpressionMatch match =
            QRegularExpression("^log: caching reference log-probabilities of ([0-9,]+) pairs…$")
                .match(QString::fromStdString(recorder.events[size_t(start)]));
        QVERIFY(match.hasMatch());
        const int64_t pairs = match.captured(1).remove(',').toLongLong();
        QVERIFY2(pairs > 20, qPrintable(events)); // the train pairs and the held-out ones
        QCOMPARE(recorder.events[size_t(start) + 1],
                 "phase: caching reference log-probabilities 0/" + std::to_string(pairs) +
                     " pairs");
        const std::string end = "phase: caching reference log-probabilities " +
                                std::to_string(pairs) + "/" + std::to_string(pairs) + " pairs";
        const int ended = recorder.find(end);
        QVERIFY2(ended > start && ended < firstStep, qPrintable(events));
        QVERIFY2(recorder.events[size_t(ended) - 1].rfind(
                     "log: caching reference log-probabilities: " + PhaseProgress::count(pairs) +
                         " pairs in ",
                     0) == 0,
                 qPrintable(events));
        // Reported once each: no phase line after training began.
        for (size_t i = size_t(firstStep); i < recorder.events.size(); ++i)
            QVERIFY2(recorder.events[i].rfind("phase: ", 0) != 0, qPrintable(events));
    }
};

QTEST_MAIN(TestStageProgress)
#include "test_stage_progress.moc"
