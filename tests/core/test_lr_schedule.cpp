// The warmup + cosine learning-rate schedule at its landmarks.
#include "core/train/lr_schedule.h"

#include <QtTest>

using rlhf::train::learningRate;
using rlhf::train::LrSchedule;

class TestLrSchedule : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void landmarks()
    {
        const LrSchedule schedule{
            .peak = 1e-3, .minimum = 1e-4, .warmupSteps = 10, .totalSteps = 110};
        QCOMPARE(learningRate(schedule, 0), 1e-4);                  // first warmup step: peak / 10
        QCOMPARE(learningRate(schedule, 4), 5e-4);                  // halfway through warmup
        QCOMPARE(learningRate(schedule, 9), 1e-3);                  // warmup ends at the peak
        QCOMPARE(learningRate(schedule, 10), 1e-3);                 // cosine starts at the peak
        QVERIFY(qAbs(learningRate(schedule, 60) - 5.5e-4) < 1e-12); // cosine midpoint
        QVERIFY(qAbs(learningRate(schedule, 110) - 1e-4) < 1e-12);  // floor at the end
        QCOMPARE(learningRate(schedule, 500), 1e-4);                // and after it
    }

    void monotoneAfterWarmup()
    {
        const LrSchedule schedule{.peak = 3e-4, .minimum = 0.0, .warmupSteps = 5, .totalSteps = 50};
        for (int step = 5; step < 60; ++step)
            QVERIFY(learningRate(schedule, step + 1) <= learningRate(schedule, step));
        for (int step = 0; step < 4; ++step)
            QVERIFY(learningRate(schedule, step + 1) > learningRate(schedule, step));
    }

    void noWarmup()
    {
        const LrSchedule schedule{
            .peak = 2e-3, .minimum = 2e-4, .warmupSteps = 0, .totalSteps = 100};
        QCOMPARE(learningRate(schedule, 0), 2e-3);
    }
};

QTEST_GUILESS_MAIN(TestLrSchedule)
#include "test_lr_schedule.moc"
