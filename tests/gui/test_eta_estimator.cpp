// The status bar's ETA: steps per second over the last minute, so one slow step (an evaluation,
// the first step's warm-up) moves it only as much as its share of that minute, and a pause
// restarts it.
#include "widgets/window/etaestimator.h"

#include <QtTest>

using rlhf::widgets::EtaEstimator;

class TestEtaEstimator : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void steadyRate()
    {
        EtaEstimator eta;
        QVERIFY(!eta.secondsLeft(100)); // no steps yet
        eta.addStep(1, 0.0);
        eta.addStep(2, 0.5);
        QVERIFY(!eta.secondsLeft(100)); // two steps are one interval: not enough
        for (int step = 3; step <= 40; ++step)
            eta.addStep(step, 0.5 * (step - 1));
        QCOMPARE(*eta.secondsLeft(100), 30.0); // 60 steps left at 2 per second
    }

    // A 30 s evaluation among 0.5 s steps: the old estimate (time since the start over steps
    // since the start) would stay skewed for the rest of the run; the window forgets it after
    // a minute.
    void aSlowStepIsForgottenAfterTheWindow()
    {
        EtaEstimator eta;
        double now = 0;
        int step = 0;
        const auto run = [&](int steps) {
            for (int i = 0; i < steps; ++i) {
                now += 0.5;
                eta.addStep(++step, now);
            }
        };
        run(200);
        now += 30; // the evaluation
        eta.addStep(++step, now);
        const double after = *eta.secondsLeft(1000);
        QVERIFY2(after > (1000 - step) * 0.5 * 1.2, qPrintable(QString::number(after)));
        run(130); // 65 s of ordinary steps
        QCOMPARE(*eta.secondsLeft(1000), (1000 - step) * 0.5);
    }

    void pauseRestartsAndRepeatsAreIgnored()
    {
        EtaEstimator eta;
        for (int step = 1; step <= 10; ++step)
            eta.addStep(step, step);
        eta.addStep(10, 11); // the same step reported again
        QCOMPARE(*eta.secondsLeft(20), 10.0);
        eta.reset(); // paused for an hour
        eta.addStep(11, 3611);
        QVERIFY(!eta.secondsLeft(20));
        eta.addStep(12, 3612);
        eta.addStep(13, 3613);
        QCOMPARE(*eta.secondsLeft(20), 7.0);
    }
};

QTEST_MAIN(TestEtaEstimator)
#include "test_eta_estimator.moc"
