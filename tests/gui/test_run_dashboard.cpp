// The run dashboard: a chart per metric that matters for the selected runs' stages, charts for
// whatever else they log, an empty chart that says why, maximise and the remembered layout, and
// an export of one chart that holds that chart's metric only.
#include "widgets/plots/metricplot.h"
#include "widgets/plots/metriccsv.h"
#include "widgets/plots/qcustomplot_include.h"
#include "widgets/plots/rundashboard.h"

#include <QCheckBox>
#include <QFile>
#include <QSettings>
#include <QStandardPaths>
#include <QToolButton>
#include <QtTest>

using rlhf::widgets::MetricPlot;
using rlhf::widgets::RunDashboard;

class TestRunDashboard : public QObject {
    Q_OBJECT
private:
    static QVector<rlhf::widgets::MetricPoint> ramp(int steps, double scale)
    {
        QVector<rlhf::widgets::MetricPoint> points;
        for (int step = 0; step < steps; ++step)
            points.append({step, 1000.0 + step, scale * step});
        return points;
    }

private Q_SLOTS:
    void init()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
    }

    void chartsFollowTheStages()
    {
        RunDashboard dashboard;
        dashboard.setRuns({{1, "run 1 base", "pretrain"}});
        QCOMPARE(dashboard.chartMetrics(),
                 QStringList({"train/loss", "val/loss", "val/perplexity", "train/lr",
                              "train/grad_norm", "train/tokens_per_s"}));
        dashboard.setRuns({{2, "run 2 dpo", "dpo"}});
        const QStringList dpo = dashboard.chartMetrics();
        QVERIFY(!dpo.contains("val/perplexity")); // DPO has no perplexity
        QCOMPARE(dpo.mid(0, 3), QStringList({"train/loss", "val/accuracy", "val/margin"}));
        QVERIFY(dpo.contains("val/reward_chosen") && dpo.contains("val/reward_rejected"));
        dashboard.setRuns({{3, "run 3 grpo", "grpo"}, {1, "run 1 base", "pretrain"}});
        QStringList mixed = dashboard.chartMetrics();
        QCOMPARE(mixed.front(), QString("rl/score")); // the first run's stage leads
        for (const char* metric : {"rl/kl", "rl/entropy", "rl/clip_fraction", "task/accuracy",
                                   "rl/response_length", "train/loss", "val/perplexity"})
            QVERIFY2(mixed.contains(metric), metric);
        QVERIFY(!mixed.contains("rl/value_loss")); // GRPO has no value model
        QCOMPARE(mixed.removeDuplicates(), 0);
        // The RL health signals: GRPO's group spread, PPO's value explained variance.
        for (const char* metric :
             {"rl/zero_spread_groups", "rl/truncation_rate", "rl/clip_fraction_low",
              "rl/clip_fraction_high", "rl/ratio_p05", "rl/ratio_p95", "rl/kl_p50", "rl/kl_p95"})
            QVERIFY2(mixed.contains(metric), metric);
        QVERIFY(!mixed.contains("rl/value_explained_variance"));
        dashboard.setRuns({{5, "run 5 ppo", "ppo"}});
        const QStringList ppo = dashboard.chartMetrics();
        QVERIFY(ppo.contains("rl/value_explained_variance") && ppo.contains("rl/truncation_rate"));
        QVERIFY(!ppo.contains("rl/zero_spread_groups"));
    }

    void otherMetricsGetTheirChartAndEmptyOnesSaySo()
    {
        RunDashboard dashboard;
        dashboard.resize(900, 700);
        dashboard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dashboard));
        dashboard.setRuns({{4, "run 4 sft", "sft"}});
        dashboard.appendPoints(4, "train/loss", ramp(20, 0.5));
        dashboard.appendPoints(4, "time/step_s", ramp(20, 0.1)); // no stage lists it
        QCOMPARE(dashboard.chartMetrics().back(), QString("time/step_s"));
        QVERIFY(dashboard.chart("time/step_s"));
        dashboard.redrawNow();
        QCOMPARE(dashboard.chart("train/loss")->emptyNote(), QString());
        QCOMPARE(dashboard.chart("train/loss")->plot()->graphCount(), 2); // raw + smoothed
        QCOMPARE(dashboard.chart("val/perplexity")->emptyNote(),
                 QString("No val/perplexity in run 4 sft"));
        // One smoothing for every chart.
        dashboard.setSmoothing(0.9);
        for (const QString& metric : dashboard.chartMetrics())
            QCOMPARE(dashboard.chart(metric)->smoothing(), 0.9);
    }

    void maximiseAndTheLayoutAreRemembered()
    {
        {
            RunDashboard dashboard;
            dashboard.resize(1000, 700);
            dashboard.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dashboard));
            dashboard.setRuns({{1, "run 1", "pretrain"}});
            dashboard.appendPoints(1, "train/loss", ramp(10, 1.0));
            MetricPlot* loss = dashboard.chart("train/loss");
            MetricPlot* lr = dashboard.chart("train/lr");
            QVERIFY(lr->isVisible());
            // The tile's button maximises: the others hide, this chart gets its toolbar.
            auto* button = dashboard.findChild<QWidget*>("chart:train/loss")
                               ->findChild<QToolButton*>({}, Qt::FindDirectChildrenOnly);
            QVERIFY(button);
            QTest::mouseClick(button, Qt::LeftButton);
            QCOMPARE(dashboard.maximised(), QString("train/loss"));
            QTRY_VERIFY(!lr->isVisible());
            QVERIFY(loss->isVisible());
            QTRY_VERIFY(loss->height() > 400);                   // the whole view, not a grid cell
            QVERIFY(loss->findChild<QCheckBox*>()->isVisible()); // log y, export: its toolbar
            dashboard.setColumns(3);
        }
        RunDashboard again; // a new window: the same layout
        QCOMPARE(again.maximised(), QString("train/loss"));
        QCOMPARE(again.columns(), 3);
        again.resize(1000, 700);
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        again.setRuns({{1, "run 1", "pretrain"}});
        QTRY_VERIFY(!again.chart("train/lr")->isVisible());
        again.maximise({}); // back to the grid
        QTRY_VERIFY(again.chart("train/lr")->isVisible());
        QVERIFY(!again.chart("train/loss")->findChild<QCheckBox*>()->isVisible());
        QCOMPARE(QSettings().value("dashboard/maximised").toString(), QString());
    }

    void oneChartsCsvHoldsItsMetricOnly()
    {
        RunDashboard dashboard;
        dashboard.setRuns({{1, "run 1", "pretrain"}, {2, "run 2", "pretrain"}});
        dashboard.appendPoints(1, "train/loss", ramp(5, 1.0));
        dashboard.appendPoints(2, "train/loss", ramp(3, 2.0));
        dashboard.appendPoints(1, "train/lr", ramp(5, 1e-4));
        QTemporaryDir dir;
        const QString path = dir.filePath("loss.csv");
        QVERIFY(dashboard.chart("train/loss")->exportCsv(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const auto rows = rlhf::widgets::parseMetricCsv(QString::fromUtf8(file.readAll()));
        QCOMPARE(rows.size(), 8);
        for (const auto& row : rows)
            QCOMPARE(row.metric, QString("train/loss"));
    }

    // Many charts and a long export message never widen the window.
    void staysNarrow()
    {
        RunDashboard dashboard;
        dashboard.setRuns({{1, "run 1", "ppo"}, {2, "run 2", "dpo"}, {3, "run 3", "pretrain"}});
        dashboard.statusLabel()->setText("Wrote " + QString(300, 'x') + ".png (12 KB)");
        QVERIFY2(dashboard.minimumSizeHint().width() < 700,
                 qPrintable(QString::number(dashboard.minimumSizeHint().width())));
    }
};

QTEST_MAIN(TestRunDashboard)
#include "test_run_dashboard.moc"
