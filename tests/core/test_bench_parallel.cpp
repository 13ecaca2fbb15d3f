// `rlhf bench parallel` at a tiny size: real ranks over Gloo, one JSON line on stdout with the
// link, the all-reduce rows of 2 ranks and the scaling rows of 1 and 2 ranks; bad options are
// refused with a message naming them before anything starts. Speed itself is not asserted.
#include <ATen/ATen.h> // before parallel_runs.h, whose weight comparison needs tensor operators

#include "tests/support/parallel_runs.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace rlhf::testing;

class TestBenchParallel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void printsOneJsonLineForTwoRanks();
    void refusesBadOptions_data();
    void refusesBadOptions();
};

namespace {

// A model, batch and message sizes small enough for a few seconds on two cores. One thread per
// rank at every size: two OpenMP threads on a tiny model stall whenever a busy machine
// deschedules one, which would make the one-process baseline, not the scaling, the measurement.
const QStringList tinyRun =
    QString(
        "bench parallel --ranks 1,2 --sizes-mb 0.25,1 --repeats 2 --layers 1 --heads 2 --dim 32 "
        "--ctx 16 --vocab 64 --batch 2 --steps 3 --warmup 1 --precision fp32 --threads 1")
        .split(' ');

double number(const QJsonObject& object, const char* key)
{
    const QJsonValue value = object.value(key);
    if (!value.isDouble()) qWarning("\"%s\" is missing or not a number", key);
    return value.toDouble(-1);
}

} // namespace

void TestBenchParallel::printsOneJsonLineForTwoRanks()
{
    QTemporaryDir scratch;
    const QString folder = scratch.filePath("bench");
    const Result result = runCli(tinyRun + QStringList{"--dir", folder});
    RUN_OK(result);
    const QString out = result.out.trimmed();
    QVERIFY2(!out.contains('\n'), qPrintable(out)); // the ranks' output went to bench.log
    QJsonParseError error;
    const QJsonObject json = QJsonDocument::fromJson(out.toUtf8(), &error).object();
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString() + out));

    const QJsonObject link = json["link"].toObject();
    QVERIFY(number(link, "tcp_loopback_gb_per_s") > 0);
    QVERIFY(number(link, "memcpy_gb_per_s") > 0);

    const QJsonArray allreduce = json["allreduce"].toArray();
    QCOMPARE(allreduce.size(), 2); // two sizes, one job of 2 ranks
    for (const QJsonValue& value : allreduce) {
        const QJsonObject row = value.toObject();
        QCOMPARE(number(row, "ranks"), 2.0);
        QVERIFY(number(row, "ms") > 0);
        QVERIFY(number(row, "algbw_gb_per_s") > 0);
        // Two ranks: 2(N-1)/N = 1, bus bandwidth equals algorithm bandwidth.
        QCOMPARE(number(row, "busbw_gb_per_s"), number(row, "algbw_gb_per_s"));
    }
    QCOMPARE(number(allreduce[1].toObject(), "bytes"), double(1 << 20));

    const QJsonArray scaling = json["scaling"].toArray();
    QCOMPARE(scaling.size(), 2);
    const QJsonObject one = scaling[0].toObject(), two = scaling[1].toObject();
    QCOMPARE(number(one, "ranks"), 1.0);
    QCOMPARE(number(two, "ranks"), 2.0);
    QCOMPARE(number(one, "efficiency"), 1.0);
    QCOMPARE(number(two, "tokens_per_step"), 2.0 * number(one, "tokens_per_step")); // weak
    for (const QJsonObject& row : {one, two}) {
        QVERIFY(number(row, "tokens_per_s") > 0);
        QVERIFY(number(row, "ms_per_step") > 0);
        QVERIFY(number(row, "threads_per_rank") >= 1);
    }
    const double efficiency = number(two, "efficiency");
    QVERIFY2(efficiency > 0 && efficiency <= 1.5, qPrintable(QString::number(efficiency)));
    const double bound = number(two, "efficiency_bound"); // 1 thread per rank: 1 on 2+ cores
    QVERIFY2(bound > 0 && bound <= 1, qPrintable(QString::number(bound)));
    const double fraction = number(two, "grad_allreduce_fraction");
    QVERIFY2(fraction > 0, qPrintable(QString::number(fraction)));
    QVERIFY(!one.contains("grad_allreduce_ms")); // one process averages nothing
    // The 2-rank job ran again with its gradients reduced after backward, for comparison.
    QVERIFY(number(two, "tokens_per_s_after_backward") > 0);
    QVERIFY(!one.contains("tokens_per_s_after_backward"));

    // All three runs went through `rlhf train` into the scratch project, every step recorded.
    rlhf::store::Database database(scratch.filePath("bench/project.sqlite").toStdString());
    const auto runs = database.runs();
    QCOMPARE(int(runs.size()), 3);
    for (const auto& run : runs)
        QCOMPARE(int(database.metricSeries(run.id, "time/step_s").size()), 1 + 3); // warmup, steps
}

void TestBenchParallel::refusesBadOptions_data()
{
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QString>("message");
    QTest::newRow("no baseline") << QStringList{"--ranks", "2,4"} << "--ranks: must include 1";
    QTest::newRow("zero ranks") << QStringList{"--ranks", "0,1"} << "--ranks: process counts";
    QTest::newRow("empty message") << QStringList{"--sizes-mb", "1,0"} << "--sizes-mb";
    QTest::newRow("heads") << QStringList{"--dim", "30", "--heads", "4"} << "dim";
    QTest::newRow("precision") << QStringList{"--precision", "fp8"} << "--precision";
    QTest::newRow("steps") << QStringList{"--steps", "0"} << "--steps";
}

void TestBenchParallel::refusesBadOptions()
{
    QFETCH(QStringList, options);
    QFETCH(QString, message);
    QTemporaryDir scratch;
    const QString folder = scratch.filePath("bench");
    const Result result = runCli(QStringList{"bench", "parallel", "--dir", folder} + options);
    QVERIFY(result.exitCode != 0);
    QVERIFY2(result.err.contains(message), qPrintable(result.err));
    QVERIFY(!QFileInfo::exists(folder)); // refused before anything was written
}

QTEST_GUILESS_MAIN(TestBenchParallel)
#include "test_bench_parallel.moc"
