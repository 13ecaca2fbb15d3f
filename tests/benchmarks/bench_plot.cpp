// Redraw cost of the live metric plot on a 1M-point series: each redraw decimates the raw and
// the smoothed curve to the pixel width and replots. Prints one JSON line; not a test.
#include "widgets/plots/metricplot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <QApplication>
#include <QElapsedTimer>

using rlhf::widgets::MetricPlot;
using rlhf::widgets::MetricPoint;

namespace {

constexpr int kPoints = 1'000'000;
constexpr int kRepeats = 20;

QVector<MetricPoint> noisyLoss()
{
    std::mt19937 random(42);
    std::normal_distribution<double> noise(0.0, 0.05);
    QVector<MetricPoint> points;
    points.reserve(kPoints);
    for (int i = 0; i < kPoints; ++i) {
        const double value = 2.0 * std::exp(-i / 2.0e5) + 0.3 + noise(random);
        points.append({i, 1.7e9 + 0.1 * i, i % 100'003 == 0 ? value * 5.0 : value});
    }
    return points;
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    MetricPlot plot;
    plot.resize(1200, 700);
    plot.show();
    QApplication::processEvents();
    plot.setRuns({1});
    plot.setMetric(QStringLiteral("train/loss"));
    plot.appendPoints(1, QStringLiteral("train/loss"), noisyLoss());
    plot.redrawNow(); // first redraw builds the x and smoothed arrays once

    std::vector<double> milliseconds;
    QElapsedTimer timer;
    for (int i = 0; i < kRepeats; ++i) {
        timer.start();
        plot.redrawNow();
        milliseconds.push_back(timer.nsecsElapsed() / 1e6);
    }
    std::sort(milliseconds.begin(), milliseconds.end());
    const double median = (milliseconds[kRepeats / 2 - 1] + milliseconds[kRepeats / 2]) / 2.0;
    const double p95 = milliseconds[static_cast<std::size_t>(std::ceil(0.95 * kRepeats)) - 1];
    std::printf("{\"points\": %d, \"redraw_ms_median\": %.3f, \"redraw_ms_p95\": %.3f}\n", kPoints,
                median, p95);
    return 0;
}
