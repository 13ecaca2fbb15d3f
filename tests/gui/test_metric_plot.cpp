// The live metric plot: min/max decimation and EMA smoothing as pure functions, then the widget
// itself offscreen (batched redraws, decimated graphs, CSV round trip, PNG export, log y).
#include "widgets/plots/emasmoothing.h"
#include "widgets/plots/metriccsv.h"
#include "widgets/plots/metricdecimation.h"
#include "widgets/plots/metricplot.h"
#include "widgets/plots/qcustomplot_include.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

using namespace rlhf::widgets;

namespace {

bool contains(const std::vector<PlotPoint>& points, double x, double y)
{
    return std::any_of(points.begin(), points.end(),
                       [&](const PlotPoint& p) { return p.x == x && p.y == y; });
}

QVector<MetricPoint> ramp(int count, double (*value)(int))
{
    QVector<MetricPoint> points;
    for (int i = 0; i < count; ++i)
        points.append({i, 1.7e9 + 0.5 * i, value(i)});
    return points;
}

} // namespace

class TestMetricPlot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void decimationKeepsSingleSpikeAmongMillion()
    {
        constexpr int kCount = 1'000'000;
        constexpr int kColumns = 800;
        std::vector<double> xs(kCount), ys(kCount);
        for (int i = 0; i < kCount; ++i) {
            xs[i] = i;
            ys[i] = 1.0 + 0.001 * (i % 7);
        }
        ys[654'321] = 100.0; // one spike up
        ys[123'457] = -50.0; // one spike down
        const auto out = decimateMinMax(xs, ys, 0.0, kCount - 1.0, kColumns);
        QVERIFY(out.size() <= 4u * kColumns);
        QVERIFY(out.size() >= 2u * kColumns);
        QVERIFY(contains(out, 654'321.0, 100.0));
        QVERIFY(contains(out, 123'457.0, -50.0));
        QVERIFY(std::is_sorted(out.begin(), out.end(),
                               [](const PlotPoint& a, const PlotPoint& b) { return a.x < b.x; }));
    }

    void decimationKeepsEveryColumnsExtremes()
    {
        std::mt19937 random(7);
        std::uniform_real_distribution<double> gap(0.0, 2.0), value(-1.0, 1.0);
        std::vector<double> xs, ys;
        double x = 0.0;
        for (int i = 0; i < 20'000; ++i) {
            xs.push_back(x += gap(random));
            ys.push_back(value(random));
        }
        constexpr int kColumns = 37;
        const double xMin = xs[1000], xMax = xs[18'000];
        const auto out = decimateMinMax(xs, ys, xMin, xMax, kColumns);
        QVERIFY(out.size() <= 4u * kColumns);
        // Brute force: per column the first, last, min and max points must all be there.
        for (int column = 0; column < kColumns; ++column) {
            int first = -1, last = -1, lowest = -1, highest = -1;
            for (int i = 0; i < static_cast<int>(xs.size()); ++i) {
                if (xs[i] < xMin || xs[i] > xMax) continue;
                const int c = std::min(kColumns - 1,
                                       static_cast<int>((xs[i] - xMin) * kColumns / (xMax - xMin)));
                if (c != column) continue;
                if (first < 0) first = lowest = highest = i;
                last = i;
                if (ys[i] < ys[lowest]) lowest = i;
                if (ys[i] > ys[highest]) highest = i;
            }
            QVERIFY(first >= 0);
            for (const int i : {first, last, lowest, highest})
                QVERIFY2(contains(out, xs[i], ys[i]), qPrintable(QString::number(column)));
        }
        for (const PlotPoint& p : out)
            QVERIFY(p.x >= xMin && p.x <= xMax);
    }

    void decimationEdgeCases()
    {
        const std::vector<double> xs{0, 1, 2, 3}, ys{0.0, -1.0, 2.0, std::nan("")};
        QVERIFY(decimateMinMax(xs, ys, 0, 3, 0).empty());
        QVERIFY(decimateMinMax({}, {}, 0, 3, 10).empty());
        const auto positive = decimateMinMax(xs, ys, 0, 3, 10, ValueFilter::PositiveOnly);
        QCOMPARE(positive.size(), std::size_t{1});
        QCOMPARE(positive[0].x, 2.0);
        const auto all = decimateMinMax(xs, ys, 0, 3, 1);
        QCOMPARE(all.size(),
                 std::size_t{3}); // NaN skipped; first (0,0), min (1,-1), max and last (2,2)
        const std::vector<double> oneY{5.0};
        QCOMPARE(decimateMinMax(std::vector<double>{4.0}, oneY, 4.0, 4.0, 3).size(),
                 std::size_t{1});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, decimateMinMax(xs, oneY, 0, 3, 2));
    }

    void emaMatchesTensorBoard()
    {
        const std::vector<double> values{1.0, 2.0, 3.0};
        const auto half = emaSmooth(values, 0.5);
        QCOMPARE(half.size(), std::size_t{3});
        QCOMPARE(half[0], 1.0);                          // debiased: the first value itself
        QVERIFY(std::abs(half[1] - 5.0 / 3.0) < 1e-12);  // 1.25 / 0.75
        QVERIFY(std::abs(half[2] - 17.0 / 7.0) < 1e-12); // 2.125 / 0.875
        QVERIFY(emaSmooth(values, 0.0) == values);
        const auto constant = emaSmooth(std::vector<double>(50, 4.25), 0.99);
        for (const double v : constant)
            QVERIFY(std::abs(v - 4.25) < 1e-12);
        QVERIFY(emaSmooth(values, 5.0) == emaSmooth(values, 0.99)); // weight clamped

        const std::vector<double> withNan{1.0, std::nan(""), 3.0};
        const auto skipped = emaSmooth(withNan, 0.5);
        QVERIFY(std::isnan(skipped[1]));
        QCOMPARE(skipped[2], emaSmooth(std::vector<double>{1.0, 3.0}, 0.5)[1]); // NaN: no state

        EmaState state;
        std::vector<double> incremental;
        emaSmoothAppend(std::vector<double>{1.0, 2.0}, 0.5, state, incremental);
        emaSmoothAppend(std::vector<double>{3.0}, 0.5, state, incremental);
        QVERIFY(incremental == half);
    }

    void widgetDrawsDecimatedSeries()
    {
        MetricPlot plot;
        plot.resize(800, 500);
        plot.show();
        plot.setRuns({1, 2});
        plot.setRunLabel(1, QStringLiteral("baseline"));
        plot.setMetric(QStringLiteral("train/loss"));
        plot.appendPoints(1, QStringLiteral("train/loss"),
                          ramp(200'000, [](int i) { return 1.0 / (1 + i) + (i % 3) * 0.01; }));
        plot.appendPoints(2, QStringLiteral("train/loss"), ramp(50, [](int i) { return 0.5 * i; }));
        plot.appendPoints(3, QStringLiteral("train/loss"), ramp(10, [](int i) { return 1.0 * i; }));
        QCOMPARE(plot.plot()->graphCount(), 0);     // appends only mark the plot dirty
        QTRY_COMPARE(plot.plot()->graphCount(), 4); // raw + smoothed for runs 1 and 2, not run 3

        const int width = plot.plot()->width();
        for (int i = 0; i < plot.plot()->graphCount(); ++i) {
            const int size = plot.plot()->graph(i)->data()->size();
            QVERIFY(size > 0);
            QVERIFY2(size <= 4 * width + 2, qPrintable(QString::number(size))); // + edge points
        }
        QCOMPARE(plot.plot()->legend->itemCount(), 2);
        QCOMPARE(plot.plot()->graph(1)->name(), QStringLiteral("baseline"));
        QCOMPARE(plot.plot()->xAxis->range().upper, 199'999.0);

        plot.appendPoints(1, QStringLiteral("train/loss"), ramp(1, [](int) { return 9.0; }));
        plot.setXAxisMode(MetricPlot::XAxisMode::WallTime);
        plot.redrawNow();
        QCOMPARE(plot.plot()->xAxis->range().upper, 0.5 * 199'999); // seconds since first point
        plot.plot()->xAxis->setRange(1000.0, 2000.0); // as a zoom would: re-decimated at once
        const auto data = plot.plot()->graph(1)->data();
        QVERIFY(data->size() > 0 && data->size() <= 4 * width + 2);
        QVERIFY(data->at(1)->key >= 1000.0 && data->at(data->size() - 2)->key <= 2000.0);

        plot.resetView(); // what a double click does: fit the data again
        QCOMPARE(plot.plot()->xAxis->range().upper, 0.5 * 199'999);

        plot.clear();
        QCOMPARE(plot.plot()->graphCount(), 0);
        QVERIFY(plot.allRows().isEmpty());
    }

    void hoverShowsNearestPoint()
    {
        MetricPlot plot;
        plot.resize(600, 400);
        plot.show();
        plot.setRuns({4});
        plot.setRunLabel(4, QStringLiteral("ppo"));
        plot.setMetric(QStringLiteral("reward"));
        plot.setSmoothing(0.0);
        plot.appendPoints(4, QStringLiteral("reward"), ramp(101, [](int i) { return 0.5 * i; }));
        plot.redrawNow();
        QCustomPlot* custom = plot.plot();
        const QPointF at(custom->xAxis->coordToPixel(40.2), custom->yAxis->coordToPixel(20.0));
        QMouseEvent move(QEvent::MouseMove, at, custom->mapToGlobal(at), Qt::NoButton, Qt::NoButton,
                         Qt::NoModifier);
        QCoreApplication::sendEvent(custom, &move);
        auto* tracer = qobject_cast<QCPItemTracer*>(custom->item(0));
        auto* readout = qobject_cast<QCPItemText*>(custom->item(1));
        QVERIFY(tracer && readout);
        QVERIFY(tracer->visible());
        QCOMPARE(tracer->position->coords(), QPointF(40.0, 20.0));
        QVERIFY2(readout->text().contains(QStringLiteral("ppo")) &&
                     readout->text().contains(QStringLiteral("step 40")),
                 qPrintable(readout->text()));
    }

    // Zoomed into a few steps (as after a resume), the step axis still ticks whole steps.
    void stepAxisTicksAreWholeNumbers()
    {
        MetricPlot plot;
        plot.resize(600, 400);
        plot.show();
        plot.setRuns({1});
        plot.setMetric(QStringLiteral("train/loss"));
        plot.appendPoints(1, QStringLiteral("train/loss"),
                          ramp(30, [](int i) { return 1.0 / (i + 1); }));
        plot.redrawNow();
        QCustomPlot* custom = plot.plot();
        custom->xAxis->setRange(14, 16);
        custom->replot();
        const QVector<double> ticks = custom->xAxis->tickVector();
        QVERIFY(ticks.size() >= 2);
        for (const double tick : ticks)
            QCOMPARE(tick, std::round(tick));
        plot.setXAxisMode(MetricPlot::XAxisMode::WallTime); // wall time may tick fractions
        plot.setXAxisMode(MetricPlot::XAxisMode::Step);
        custom->xAxis->setRange(14, 16);
        custom->replot();
        for (const double tick : custom->xAxis->tickVector())
            QCOMPARE(tick, std::round(tick));
    }

    // A run without the chosen metric: an empty chart that says so, on 0..1 axes, never the
    // previous run's range.
    void runWithoutTheMetricShowsANote()
    {
        MetricPlot plot;
        plot.resize(500, 300);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setMetric("val/perplexity");
        plot.setRunLabel(1, "run 1 pretrain");
        plot.setRunLabel(2, "run 2 dpo");
        plot.appendPoints(1, "val/perplexity", {{0, 1.0, 300.0}, {50, 2.0, 120.0}});
        plot.setRuns({1});
        plot.redrawNow();
        QCOMPARE(plot.emptyNote(), QString());
        QCOMPARE(plot.plot()->xAxis->range().upper, 50.0);
        QVERIFY(plot.plot()->yAxis->range().upper > 300.0);

        plot.setRuns({2}); // a DPO run logs no perplexity
        plot.redrawNow();
        QCOMPARE(plot.plot()->graphCount(), 0);
        QCOMPARE(plot.emptyNote(), QString("No val/perplexity in run 2 dpo"));
        QCOMPARE(plot.plot()->xAxis->range(), QCPRange(0.0, 1.0));
        QCOMPARE(plot.plot()->yAxis->range(), QCPRange(0.0, 1.0));
        plot.setRuns({});
        plot.redrawNow();
        QCOMPARE(plot.emptyNote(), QString("No run selected"));

        plot.setRuns({1, 2}); // one of them has it: its curve, no note
        plot.redrawNow();
        QCOMPARE(plot.emptyNote(), QString());
        QCOMPARE(plot.plot()->graphCount(), 2);
    }

    // The smoothed curve is drawn where the data is and within its values: not past the last
    // step when the view reaches beyond it, not above a spike or below the floor.
    void smoothingStaysWithinTheData()
    {
        MetricPlot plot;
        plot.resize(600, 300);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QVector<MetricPoint> points;
        for (int step = 0; step < 100; ++step)
            points.append({step, double(step), step == 50 ? 10.0 : 1.0 + 0.001 * step});
        plot.appendPoints(1, "loss", points);
        plot.setMetric("loss");
        plot.setRuns({1});
        plot.setSmoothing(0.99);
        plot.redrawNow();
        plot.plot()->xAxis->setRange(40.0, 160.0); // past the data, as a zoom out would
        plot.redrawNow();
        QCOMPARE(plot.plot()->graphCount(), 2);
        for (int g = 0; g < 2; ++g)
            for (const QCPGraphData& point : *plot.plot()->graph(g)->data()) {
                QVERIFY(point.key >= 0.0 && point.key <= 99.0);
                QVERIFY2(point.value >= 1.0 && point.value <= 10.0,
                         qPrintable(QString::number(point.value)));
            }
    }

    void csvRoundTripsExactly()
    {
        MetricPlot plot;
        const QString awkward = QStringLiteral("eval/acc, \"top-1\"");
        plot.appendPoints(7, awkward,
                          {{0, 1.7e9 + 0.123456789, 0.1 + 0.2},
                           {5, 1.7e9 + 1.0 / 3.0, std::numbers::pi},
                           {10, 1.7e9 + 2.5, 1e-300},
                           {15, 1.7e9 + 3.5, -123456.78901234567}});
        plot.appendPoints(-2, awkward, {{3, 5.0, 2.0}, {1, 4.0, 1.0 / 7.0}});
        // Another metric of the same runs: the CSV of this chart leaves it out.
        plot.appendPoints(7, QStringLiteral("loss"), {{0, 1.7e9, 9.0}});
        plot.setMetric(awkward);
        plot.setRuns({-2, 7});
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("metrics.csv"));
        QVERIFY(plot.exportCsv(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<MetricCsvRow> rows = parseMetricCsv(QString::fromUtf8(file.readAll()));
        QCOMPARE(rows.size(), 6);
        QVERIFY(rows == plot.allRows());
        for (const MetricCsvRow& row : rows)
            QCOMPARE(row.metric, awkward);
        QCOMPARE(rows[0].run, qint64{-2});
        QCOMPARE(rows[0].point.step, qint64{1}); // sorted by step on append
        QCOMPARE(rows[0].point.value, 1.0 / 7.0);
        QCOMPARE(rows[1].point.step, qint64{3});
        QCOMPARE(rows[2].point.value, 0.1 + 0.2);
        QCOMPARE(rows[3].point.wallTime, 1.7e9 + 1.0 / 3.0);
        QCOMPARE(rows[4].point.value, 1e-300);
        plot.setMetric(QStringLiteral("loss")); // the other metric was kept, only not written
        QCOMPARE(plot.allRows().size(), 1);

        QVERIFY_THROWS_EXCEPTION(std::runtime_error, parseMetricCsv(u"run,metric\n"));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                                 parseMetricCsv(u"run,metric,step,wall_time,value\n1,a,2,x,3\n"));
    }

    void exportsPngAndPdf()
    {
        MetricPlot plot;
        plot.resize(700, 450);
        plot.setRuns({1});
        plot.setMetric(QStringLiteral("reward"));
        plot.appendPoints(1, QStringLiteral("reward"),
                          ramp(1000, [](int i) { return std::sin(i * 0.01); }));
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("plot.png"));
        QVERIFY(plot.exportPng(png, 640, 480));
        QVERIFY(QFileInfo(png).size() > 0);
        const QImage image(png);
        QCOMPARE(image.size(), QSize(640, 480));
        const QString pdf = dir.filePath(QStringLiteral("plot.pdf"));
        QVERIFY(plot.exportPdf(pdf, 640, 480));
        QVERIFY(QFileInfo(pdf).size() > 0);
    }

    void exportDecimatesForItsOwnWidth()
    {
        // A rising curve: each pixel column keeps its first (= min) and last (= max) point, so
        // the decimated count is about two per column. (Pure noise would keep four, but Qt's
        // stroker then takes minutes to draw 12,000 full-height segments into the PNG.)
        constexpr int kCount = 1'000'000;
        auto rising = [](int i) { return std::sqrt(double(i)); };
        MetricPlot plot;
        plot.resize(400, 300);
        plot.setRuns({1});
        plot.setMetric(QStringLiteral("train/loss"));
        plot.appendPoints(1, QStringLiteral("train/loss"), ramp(kCount, rising));
        plot.redrawNow();
        const int screen = plot.plot()->width();
        QCOMPARE(plot.plot()->graphCount(), 2); // raw (faint) and smoothed
        const int onScreen = plot.plot()->graph(0)->data()->size();
        QVERIFY2(onScreen <= 4 * screen + 2, qPrintable(QString::number(onScreen)));

        QTemporaryDir dir;
        QVERIFY(plot.exportPng(dir.filePath(QStringLiteral("wide.png")), 3000, 600));
        const auto exported = plot.lastExportDecimation();
        QCOMPARE(exported.columns, 3000);
        QCOMPARE(exported.graphPoints.size(), 2);
        // The raw curve holds exactly the min/max decimation at 3000 columns of the x range.
        std::vector<double> xs(kCount), ys(kCount);
        for (int i = 0; i < kCount; ++i) {
            xs[size_t(i)] = i;
            ys[size_t(i)] = rising(i);
        }
        const QCPRange range = plot.plot()->xAxis->range();
        const auto expected = decimateMinMax(xs, ys, range.lower, range.upper, 3000);
        QCOMPARE(exported.graphPoints[0], qsizetype(expected.size()));
        // Far more than the screen's 4 points per column could hold, and per export column.
        QVERIFY2(exported.graphPoints[0] > 2 * 2900 && exported.graphPoints[0] > 4 * screen + 2,
                 qPrintable(QString::number(exported.graphPoints[0])));
        QVERIFY(exported.graphPoints[1] > 4 * screen + 2 && exported.graphPoints[1] <= 4 * 3000);

        // The screen keeps its own resolution, and a default-size export uses it.
        QCOMPARE(plot.plot()->graph(0)->data()->size(), onScreen);
        QVERIFY(plot.exportPdf(dir.filePath(QStringLiteral("screen.pdf"))));
        QCOMPARE(plot.lastExportDecimation().columns, screen);
        QCOMPARE(plot.lastExportDecimation().graphPoints[0], qsizetype(onScreen));
    }

    void logScaleSkipsNonPositiveValues()
    {
        MetricPlot plot;
        plot.resize(600, 400);
        plot.show();
        plot.setRuns({1});
        plot.setMetric(QStringLiteral("kl"));
        plot.appendPoints(1, QStringLiteral("kl"), ramp(5000, [](int i) {
                              return i % 4 == 0 ? 0.0 : (i % 4 == 1 ? -1.0 : 0.01 * i);
                          }));
        plot.redrawNow();
        const auto minimum = [&plot] {
            double lowest = std::numeric_limits<double>::infinity();
            for (int g = 0; g < plot.plot()->graphCount(); ++g)
                for (const QCPGraphData& point : *plot.plot()->graph(g)->data())
                    lowest = std::min(lowest, point.value);
            return lowest;
        };
        QCOMPARE(minimum(), -1.0);
        for (int round = 0; round < 2; ++round) {
            plot.setYScale(MetricPlot::YScale::Log);
            plot.redrawNow();
            QCOMPARE(plot.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
            QVERIFY(minimum() > 0.0);
            QVERIFY(plot.plot()->yAxis->range().lower > 0.0);
            plot.setYScale(MetricPlot::YScale::Linear);
            plot.redrawNow();
            QCOMPARE(minimum(), -1.0);
        }
        plot.setSmoothing(0.0);
        plot.setYScale(MetricPlot::YScale::Log);
        plot.appendPoints(1, QStringLiteral("kl"), {{6000, 1.8e9, 0.0}});
        plot.redrawNow();
        QVERIFY(minimum() > 0.0);
    }
};

QTEST_MAIN(TestMetricPlot)
#include "test_metric_plot.moc"
