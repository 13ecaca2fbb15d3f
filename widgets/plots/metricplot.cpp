// The studio's live metric plot (see metricplot.h): series storage, derived x/smoothed arrays,
// per-redraw decimation into QCustomPlot graphs, hover readout and export.
#include "widgets/plots/metricplot.h"

#include "widgets/plots/metricdecimation.h"
#include "widgets/plots/qcustomplot_include.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QSignalBlocker>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

constexpr int kRedrawIntervalMs = 100;    // at most ten redraws a second
constexpr int kSliderSteps = 99;          // slider position 99 = weight 0.99
constexpr int kRawAlpha = 60;             // the raw curve is faint behind the smoothed one
constexpr double kRangeMargin = 0.05;     // fraction of the data span added on each side
constexpr int kNeighbourSearchLimit = 64; // points looked at for an edge neighbour (log y skips)

// Tableau 10: distinct colours for overlaid runs, in legend order.
constexpr std::array<QRgb, 10> kPalette = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                           0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

bool shown(double y, ValueFilter filter)
{
    return !std::isnan(y) && (filter == ValueFilter::All || y > 0.0);
}

// The decimated curve for the x range, plus the nearest shown point outside the range on each
// side so that lines run to the plot's edges.
QVector<QCPGraphData> graphData(const std::vector<double>& xs, const std::vector<double>& ys,
                                const QCPRange& range, int columns, ValueFilter filter)
{
    const std::vector<PlotPoint> points =
        decimateMinMax(xs, ys, range.lower, range.upper, columns, filter);
    QVector<QCPGraphData> data;
    data.reserve(static_cast<qsizetype>(points.size()) + 2);
    const auto begin = std::lower_bound(xs.begin(), xs.end(), range.lower) - xs.begin();
    for (auto i = begin - 1; i >= 0 && i >= begin - kNeighbourSearchLimit; --i) {
        if (shown(ys[i], filter)) {
            data.append(QCPGraphData(xs[i], ys[i]));
            break;
        }
    }
    for (const PlotPoint& point : points)
        data.append(QCPGraphData(point.x, point.y));
    const auto end = std::upper_bound(xs.begin(), xs.end(), range.upper) - xs.begin();
    const auto size = static_cast<std::ptrdiff_t>(xs.size());
    for (auto i = end; i < size && i < end + kNeighbourSearchLimit; ++i) {
        if (shown(ys[i], filter)) {
            data.append(QCPGraphData(xs[i], ys[i]));
            break;
        }
    }
    return data;
}

// Reorders the values by `order` (a permutation of their indices).
template <typename T> void permute(std::vector<T>& values, const std::vector<std::size_t>& order)
{
    std::vector<T> sorted(values.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        sorted[i] = values[order[i]];
    values.swap(sorted);
}

} // namespace

MetricPlot::MetricPlot(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    buildToolbar();

    m_plot = new QCustomPlot(this);
    layout->addWidget(m_plot, 1);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    // One polyline per graph: a 1M-point series replots in ~9 ms here instead of ~60 ms.
    m_plot->setPlottingHint(QCP::phFastPolylines, true);
    m_plot->legend->setVisible(true);
    m_plot->xAxis->setLabel(tr("step"));
    useStepTicks(true);

    m_tracer = new QCPItemTracer(m_plot);
    m_tracer->setStyle(QCPItemTracer::tsCircle);
    m_tracer->setSize(8);
    m_tracer->setVisible(false);
    m_readout = new QCPItemText(m_plot);
    m_readout->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_readout->position->setCoords(0.01, 0.01);
    m_readout->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_readout->setTextAlignment(Qt::AlignLeft);
    m_readout->setBrush(QBrush(QColor(255, 255, 255, 220)));
    m_readout->setPadding(QMargins(4, 2, 4, 2));
    m_readout->setVisible(false);
    m_emptyNote = new QCPItemText(m_plot);
    m_emptyNote->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_emptyNote->position->setCoords(0.5, 0.5);
    m_emptyNote->setPositionAlignment(Qt::AlignCenter);
    m_emptyNote->setColor(palette().color(QPalette::PlaceholderText));
    m_emptyNote->setVisible(false);

    connect(m_plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            [this] { onUserRangeChanged(); });
    connect(m_plot->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] {
        if (!m_settingRange) m_autoRange = false;
    });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { resetView(); });
    connect(m_plot, &QCustomPlot::mouseMove, this, &MetricPlot::onMouseMove);
    connect(m_plot, &QCustomPlot::mousePress, this,
            [this](QMouseEvent* event) { m_pressAt = event->position(); });
    connect(m_plot, &QCustomPlot::mouseRelease, this, &MetricPlot::onMouseRelease);

    m_redrawTimer.setSingleShot(true);
    m_redrawTimer.setInterval(kRedrawIntervalMs);
    connect(&m_redrawTimer, &QTimer::timeout, this, &MetricPlot::redrawNow);
}

MetricPlot::~MetricPlot() = default;

void MetricPlot::useStepTicks(bool steps)
{
    if (!steps) {
        m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
        return;
    }
    // Steps are whole numbers: ticks at multiples of 1, never at 14.2 when zoomed in.
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->xAxis->setTicker(ticker);
}

void MetricPlot::buildToolbar()
{
    m_toolbar = new QWidget(this);
    auto* row = new QHBoxLayout(m_toolbar);
    row->setContentsMargins(4, 2, 4, 0);
    auto* smoothingTitle = new QLabel(tr("Smoothing"), m_toolbar);
    row->addWidget(smoothingTitle);
    m_smoothingSlider = new QSlider(Qt::Horizontal, m_toolbar);
    m_smoothingSlider->setRange(0, kSliderSteps);
    m_smoothingSlider->setValue(static_cast<int>(std::lround(m_smoothing * 100)));
    m_smoothingSlider->setMaximumWidth(160);
    row->addWidget(m_smoothingSlider);
    m_smoothingLabel = new QLabel(QString::number(m_smoothing, 'f', 2), m_toolbar);
    row->addWidget(m_smoothingLabel);
    m_logCheck = new QCheckBox(tr("Log y"), m_toolbar);
    row->addWidget(m_logCheck);
    m_xModeCombo = new QComboBox(m_toolbar);
    m_xModeCombo->addItems({tr("Step"), tr("Wall time")});
    auto* xTitle = new QLabel(tr("X"), m_toolbar);
    row->addWidget(xTitle);
    row->addWidget(m_xModeCombo);
    m_sharedControls = {smoothingTitle, m_smoothingSlider, m_smoothingLabel, xTitle, m_xModeCombo};
    row->addStretch(1);

    auto* exportButton = new QToolButton(m_toolbar);
    exportButton->setText(tr("Export"));
    exportButton->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(exportButton);
    for (const auto& [text, format] : {std::pair{tr("PNG image…"), QStringLiteral("png")},
                                       std::pair{tr("PDF document…"), QStringLiteral("pdf")},
                                       std::pair{tr("CSV data…"), QStringLiteral("csv")}})
        connect(menu->addAction(text), &QAction::triggered, this,
                [this, format] { exportInteractively(format); });
    exportButton->setMenu(menu);
    row->addWidget(exportButton);
    static_cast<QVBoxLayout*>(layout())->addWidget(m_toolbar);

    connect(m_smoothingSlider, &QSlider::valueChanged, this,
            [this](int value) { setSmoothing(value / 100.0); });
    connect(m_logCheck, &QCheckBox::toggled, this,
            [this](bool on) { setYScale(on ? YScale::Log : YScale::Linear); });
    connect(m_xModeCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        setXAxisMode(index == 0 ? XAxisMode::Step : XAxisMode::WallTime);
    });
}

void MetricPlot::appendPoints(qint64 run, const QString& metric, const QVector<MetricPoint>& points)
{
    if (points.isEmpty()) return;
    Series& series = m_series[{run, metric}];
    const bool wasEmpty = series.points.empty();
    bool inOrder = wasEmpty || points.front().step >= series.points.back().step;
    for (qsizetype i = 1; inOrder && i < points.size(); ++i)
        inOrder = points[i].step >= points[i - 1].step;
    series.points.insert(series.points.end(), points.begin(), points.end());
    if (!inOrder) {
        std::stable_sort(
            series.points.begin(), series.points.end(),
            [](const MetricPoint& a, const MetricPoint& b) { return a.step < b.step; });
        series.stale = true;
    }
    if (metric != m_metric || !m_runs.contains(run)) return;
    if (wasEmpty) m_curvesChanged = true;
    markDirty();
}

void MetricPlot::setMetric(const QString& name)
{
    if (name == m_metric) return;
    m_metric = name;
    m_plot->yAxis->setLabel(m_compact ? QString() : name);
    m_autoRange = true;
    markCurvesChanged();
}

void MetricPlot::setRuns(const QList<qint64>& runs)
{
    m_runs = runs;
    markCurvesChanged();
}

void MetricPlot::setRunLabel(qint64 run, const QString& label)
{
    m_runLabels.insert(run, label);
    if (m_runs.contains(run)) markCurvesChanged();
}

void MetricPlot::clear()
{
    m_redrawTimer.stop();
    m_curves.clear();
    m_plot->clearGraphs();
    m_series.clear();
    m_tracer->setVisible(false);
    m_readout->setVisible(false);
    m_curvesChanged = true;
    m_autoRange = true;
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MetricPlot::setSmoothing(double weight)
{
    weight = std::clamp(weight, 0.0, kSliderSteps / 100.0);
    if (weight == m_smoothing) return;
    m_smoothing = weight;
    const QSignalBlocker blocker(m_smoothingSlider);
    m_smoothingSlider->setValue(static_cast<int>(std::lround(weight * 100)));
    m_smoothingLabel->setText(QString::number(weight, 'f', 2));
    invalidateDerived();
    markCurvesChanged();
}

void MetricPlot::setYScale(YScale scale)
{
    if (scale == m_yScale) return;
    m_yScale = scale;
    const QSignalBlocker blocker(m_logCheck);
    m_logCheck->setChecked(scale == YScale::Log);
    m_settingRange = true;
    if (scale == YScale::Log) {
        m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    } else {
        m_plot->yAxis->setScaleType(QCPAxis::stLinear);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    }
    m_settingRange = false;
    m_autoRange = true;
    markDirty();
}

void MetricPlot::setXAxisMode(XAxisMode mode)
{
    if (mode == m_xAxisMode) return;
    m_xAxisMode = mode;
    const QSignalBlocker blocker(m_xModeCombo);
    m_xModeCombo->setCurrentIndex(mode == XAxisMode::Step ? 0 : 1);
    m_plot->xAxis->setLabel(mode == XAxisMode::Step ? tr("step") : tr("wall time (s)"));
    useStepTicks(mode == XAxisMode::Step);
    invalidateDerived();
    m_autoRange = true;
    markCurvesChanged();
}

void MetricPlot::redrawNow()
{
    m_redrawTimer.stop();
    if (m_curvesChanged) rebuildCurves();
    updateGraphData(screenColumns());
    m_plot->replot(QCustomPlot::rpImmediateRefresh);
}

void MetricPlot::resetView()
{
    m_autoRange = true;
    redrawNow();
}

void MetricPlot::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    markDirty(); // the decimation follows the pixel width
}

void MetricPlot::markDirty()
{
    if (!m_redrawTimer.isActive()) m_redrawTimer.start();
}

void MetricPlot::markCurvesChanged()
{
    m_curvesChanged = true;
    markDirty();
}

void MetricPlot::invalidateDerived()
{
    for (auto& [key, series] : m_series)
        series.stale = true;
}

void MetricPlot::updateDerived(Series& series) const
{
    if (series.stale || (series.reordered && series.x.size() != series.points.size())) {
        series.reordered = false;
        series.x.clear();
        series.raw.clear();
        series.smoothed.clear();
        series.steps.clear();
        series.ema = {};
    }
    const std::size_t from = series.x.size();
    if (from == series.points.size()) {
        series.stale = false;
        return;
    }
    const double origin = series.points.front().wallTime;
    std::vector<double> values;
    values.reserve(series.points.size() - from);
    bool sorted = true;
    for (std::size_t i = from; i < series.points.size(); ++i) {
        const MetricPoint& point = series.points[i];
        const double x = m_xAxisMode == XAxisMode::Step ? static_cast<double>(point.step)
                                                        : point.wallTime - origin;
        sorted = sorted && (series.x.empty() || x >= series.x.back());
        series.x.push_back(x);
        series.steps.push_back(point.step);
        values.push_back(point.value);
    }
    series.raw.insert(series.raw.end(), values.begin(), values.end());
    emaSmoothAppend(values, m_smoothing, series.ema, series.smoothed);
    series.stale = false;
    if (sorted) return;
    // Wall times that go backwards (a resumed run): smooth in step order, draw in time order.
    std::vector<std::size_t> order(series.x.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&x = series.x](std::size_t a, std::size_t b) { return x[a] < x[b]; });
    permute(series.x, order);
    permute(series.raw, order);
    permute(series.smoothed, order);
    permute(series.steps, order);
    series.reordered = true; // the next append must rebuild: x order is not step order
}

void MetricPlot::rebuildCurves()
{
    m_plot->clearGraphs();
    m_curves.clear();
    m_tracer->setVisible(false);
    m_readout->setVisible(false);
    for (qsizetype i = 0; i < m_runs.size(); ++i) {
        const Series* series = findSeries(m_runs[i], m_metric);
        if (!series || series->points.empty()) continue;
        const QColor colour = QColor::fromRgb(kPalette[i % kPalette.size()]);
        QColor faint = colour;
        faint.setAlpha(kRawAlpha);
        QCPGraph* raw = m_plot->addGraph();
        raw->setPen(QPen(faint, 1.0));
        raw->removeFromLegend();
        raw->setVisible(m_smoothing > 0.0);
        QCPGraph* smoothed = m_plot->addGraph();
        smoothed->setPen(QPen(colour, 1.5));
        smoothed->setName(runLabel(m_runs[i]));
        m_curves.push_back({m_runs[i], series, raw, smoothed});
    }
    m_plot->legend->setVisible(!m_compact || m_curves.size() > 1);
    m_curvesChanged = false;
}

int MetricPlot::screenColumns() const
{
    return std::max(1, m_plot->width());
}

void MetricPlot::updateGraphData(int columns)
{
    for (VisibleCurve& curve : m_curves)
        updateDerived(*findSeries(curve.run, m_metric));
    showEmptyNote(m_curves.empty());
    if (m_curves.empty()) return;
    if (m_autoRange) {
        double lower = std::numeric_limits<double>::infinity();
        double upper = -lower;
        for (const VisibleCurve& curve : m_curves) {
            lower = std::min(lower, curve.series->x.front());
            upper = std::max(upper, curve.series->x.back());
        }
        m_settingRange = true;
        m_plot->xAxis->setRange(lower == upper ? QCPRange(lower - 1, upper + 1)
                                               : QCPRange(lower, upper));
        m_settingRange = false;
    }
    const QCPRange range = m_plot->xAxis->range();
    const ValueFilter filter =
        m_yScale == YScale::Log ? ValueFilter::PositiveOnly : ValueFilter::All;
    for (VisibleCurve& curve : m_curves) {
        const Series& series = *curve.series;
        curve.smoothedGraph->data()->set(
            graphData(series.x, series.smoothed, range, columns, filter),
            /*alreadySorted=*/true);
        if (curve.rawGraph->visible())
            curve.rawGraph->data()->set(graphData(series.x, series.raw, range, columns, filter),
                                        /*alreadySorted=*/true);
    }
    if (m_autoRange) fitRanges();
}

void MetricPlot::setCompact(bool compact)
{
    m_compact = compact;
    m_toolbar->setVisible(!compact);
    m_plot->yAxis->setLabel(compact ? QString() : m_metric);
    markCurvesChanged(); // the legend
}

void MetricPlot::setSharedControlsVisible(bool visible)
{
    for (QWidget* control : m_sharedControls)
        control->setVisible(visible);
}

QString MetricPlot::emptyNote() const
{
    return m_emptyNote->visible() ? m_emptyNote->text() : QString();
}

// Without a curve the axes go back to 0..1 (never a previous metric's or run's range) and the
// note says why the chart is empty.
void MetricPlot::showEmptyNote(bool empty)
{
    m_emptyNote->setVisible(empty);
    if (!empty) return;
    m_emptyNote->setText(
        m_runs.isEmpty() ? tr("No run selected")
        : m_metric.isEmpty()
            ? tr("No metric chosen")
            : tr("No %1 in %2")
                  .arg(m_metric, m_runs.size() == 1
                                     ? runLabel(m_runs.front())
                                     : tr("the %1 selected runs").arg(m_runs.size())));
    m_settingRange = true;
    m_plot->xAxis->setRange(0.0, 1.0);
    m_plot->yAxis->setRange(m_yScale == YScale::Log ? QCPRange(0.1, 1.0) : QCPRange(0.0, 1.0));
    m_settingRange = false;
}

void MetricPlot::fitRanges()
{
    double lower = std::numeric_limits<double>::infinity();
    double upper = -lower;
    for (const VisibleCurve& curve : m_curves) {
        for (const QCPGraph* graph : {curve.rawGraph, curve.smoothedGraph}) {
            if (!graph->visible()) continue;
            for (const QCPGraphData& point : *graph->data()) {
                if (!std::isfinite(point.value)) continue;
                lower = std::min(lower, point.value);
                upper = std::max(upper, point.value);
            }
        }
    }
    if (!(lower <= upper)) return; // nothing shown (for example only zeros on a log axis)
    QCPRange range(lower, upper);
    if (m_yScale == YScale::Log) {
        const double factor = lower == upper ? 2.0 : std::pow(upper / lower, kRangeMargin);
        range = QCPRange(lower / factor, upper * factor);
    } else {
        const double span = upper - lower;
        const double margin =
            span > 0.0 ? span * kRangeMargin : std::max(std::abs(lower), 1.0) * 0.1;
        range = QCPRange(lower - margin, upper + margin);
    }
    m_settingRange = true;
    m_plot->yAxis->setRange(range);
    m_settingRange = false;
}

void MetricPlot::onUserRangeChanged()
{
    if (m_settingRange) return;
    m_autoRange = false;
    if (m_curvesChanged) return;      // the pending redraw rebuilds everything
    updateGraphData(screenColumns()); // re-decimate for the new range; replotted after the gesture
}

// The point nearest `pixel` among each curve's two neighbours of its x, on the smoothed curve
// or on the raw one where that is drawn (the user may point at either).
MetricPlot::NearestPoint MetricPlot::nearestPoint(QPointF pixel) const
{
    const double key = m_plot->xAxis->pixelToCoord(pixel.x());
    const bool log = m_yScale == YScale::Log;
    double bestDistance = std::numeric_limits<double>::infinity();
    NearestPoint best;
    for (const VisibleCurve& curve : m_curves) {
        const std::vector<double>& xs = curve.series->x;
        const auto at =
            static_cast<std::size_t>(std::lower_bound(xs.begin(), xs.end(), key) - xs.begin());
        for (const std::size_t index : {at - 1, at}) {
            if (index >= xs.size()) continue;
            const double dx = m_plot->xAxis->coordToPixel(xs[index]) - pixel.x();
            const double ys[] = {curve.series->smoothed[index], curve.series->raw[index]};
            for (int i = 0; i < (curve.rawGraph->visible() ? 2 : 1); ++i) {
                if (std::isnan(ys[i]) || (log && ys[i] <= 0.0)) continue;
                const double dy = m_plot->yAxis->coordToPixel(ys[i]) - pixel.y();
                if (dx * dx + dy * dy < bestDistance) {
                    bestDistance = dx * dx + dy * dy;
                    best = {&curve, index};
                }
            }
        }
    }
    return best;
}

void MetricPlot::onMouseMove(QMouseEvent* event)
{
    const NearestPoint nearest = nearestPoint(event->position());
    m_tracer->setVisible(nearest.curve != nullptr);
    m_readout->setVisible(nearest.curve != nullptr);
    if (nearest.curve) {
        const Series& series = *nearest.curve->series;
        const std::size_t i = nearest.index;
        m_tracer->position->setCoords(series.x[i], series.smoothed[i]);
        m_tracer->setPen(nearest.curve->smoothedGraph->pen());
        QString text = tr("%1\nstep %2").arg(runLabel(nearest.curve->run)).arg(series.steps[i]);
        if (m_xAxisMode == XAxisMode::WallTime) text += tr(", %1 s").arg(series.x[i], 0, 'g', 6);
        text += tr("\nvalue %1").arg(series.raw[i], 0, 'g', 6);
        if (m_smoothing > 0.0) text += tr(" (smoothed %1)").arg(series.smoothed[i], 0, 'g', 6);
        m_readout->setText(text);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void MetricPlot::onMouseRelease(QMouseEvent* event)
{
    // A release away from the press ended a pan, not a click.
    if (event->button() != Qt::LeftButton ||
        (event->position() - m_pressAt).manhattanLength() >= QApplication::startDragDistance())
        return;
    const NearestPoint nearest = nearestPoint(event->position());
    if (nearest.curve)
        Q_EMIT pointClicked(nearest.curve->run,
                            static_cast<double>(nearest.curve->series->steps[nearest.index]));
}

QString MetricPlot::runLabel(qint64 run) const
{
    return m_runLabels.value(run, tr("run %1").arg(run));
}

MetricPlot::Series* MetricPlot::findSeries(qint64 run, const QString& metric)
{
    const auto it = m_series.find({run, metric});
    return it == m_series.end() ? nullptr : &it->second;
}

} // namespace rlhf::widgets
