// The run dashboard: a grid of ChartTiles over the selected runs (see rundashboard.h).
#include "widgets/plots/rundashboard.h"

#include "widgets/plots/charttile.h"
#include "widgets/plots/metricplot.h"
#include "widgets/plots/stagemetrics.h"

#include <algorithm>
#include <cmath>

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

constexpr int kMinimumChartWidth = 380; // "auto" columns: as many charts of this width as fit
constexpr int kMaxColumns = 4;
constexpr int kSliderSteps = 99; // weight 0.99 at the right end, as MetricPlot's slider

} // namespace

RunDashboard::RunDashboard(QWidget* parent) : QWidget(parent)
{
    QSettings settings;
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);

    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(4, 2, 4, 0);
    controls->addWidget(new QLabel(tr("Smoothing")));
    m_smoothing = new QSlider(Qt::Horizontal);
    m_smoothing->setRange(0, kSliderSteps);
    m_smoothing->setMaximumWidth(140);
    m_smoothing->setValue(settings.value("dashboard/smoothing", 60).toInt());
    controls->addWidget(m_smoothing);
    controls->addWidget(new QLabel(tr("X")));
    m_xMode = new QComboBox;
    m_xMode->addItems({tr("Step"), tr("Wall time")});
    m_xMode->setCurrentIndex(settings.value("dashboard/xmode", 0).toInt() == 1 ? 1 : 0);
    controls->addWidget(m_xMode);
    controls->addWidget(new QLabel(tr("Columns")));
    m_columnsSpin = new QSpinBox;
    m_columnsSpin->setRange(0, kMaxColumns);
    m_columnsSpin->setSpecialValueText(tr("Auto"));
    m_columns = std::clamp(settings.value("dashboard/columns", 0).toInt(), 0, kMaxColumns);
    m_columnsSpin->setValue(m_columns);
    controls->addWidget(m_columnsSpin);
    m_backToGrid = new QPushButton(tr("All charts"));
    m_backToGrid->setVisible(false);
    controls->addWidget(m_backToGrid);
    m_status = new QLabel;
    m_status->setObjectName("dashboardStatus");
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Ignored horizontally: a long path must not widen the window.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    controls->addWidget(m_status, 1);
    layout->addLayout(controls);

    m_scroll = new QScrollArea;
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_gridHost = new QWidget;
    m_grid = new QGridLayout(m_gridHost);
    m_grid->setContentsMargins(2, 2, 2, 2);
    m_grid->setSpacing(4);
    m_scroll->setWidget(m_gridHost);
    layout->addWidget(m_scroll, 1);

    connect(m_smoothing, &QSlider::valueChanged, this, [this](int value) {
        for (ChartTile* tile : m_tiles)
            tile->plot()->setSmoothing(value / 100.0);
        saveLayout();
    });
    connect(m_xMode, &QComboBox::currentIndexChanged, this, [this](int index) {
        for (ChartTile* tile : m_tiles)
            tile->plot()->setXAxisMode(index == 0 ? MetricPlot::XAxisMode::Step
                                                  : MetricPlot::XAxisMode::WallTime);
        saveLayout();
    });
    connect(m_columnsSpin, &QSpinBox::valueChanged, this, &RunDashboard::setColumns);
    connect(m_backToGrid, &QPushButton::clicked, this, [this] { maximise({}); });
    m_maximised = settings.value("dashboard/maximised").toString();
}

RunDashboard::~RunDashboard() = default;

void RunDashboard::setRuns(const QList<RunInfo>& runs)
{
    m_runs = runs;
    for (ChartTile* tile : m_tiles) {
        tile->hide(); // at once: deleteLater waits for the event loop
        tile->deleteLater();
    }
    m_tiles.clear();
    m_byMetric.clear();
    QStringList metrics;
    for (const RunInfo& run : runs)
        for (const QString& metric : stageMetrics(run.stage))
            if (!metrics.contains(metric)) metrics.append(metric);
    for (const QString& metric : metrics)
        addTile(metric);
    m_laidOutColumns = -1;
    relayout();
}

QList<qint64> RunDashboard::runs() const
{
    QList<qint64> ids;
    for (const RunInfo& run : m_runs)
        ids.append(run.id);
    return ids;
}

ChartTile* RunDashboard::addTile(const QString& metric)
{
    auto* tile = new ChartTile(metric, m_gridHost);
    MetricPlot* plot = tile->plot();
    plot->setSmoothing(m_smoothing->value() / 100.0);
    plot->setXAxisMode(m_xMode->currentIndex() == 0 ? MetricPlot::XAxisMode::Step
                                                    : MetricPlot::XAxisMode::WallTime);
    for (const RunInfo& run : m_runs)
        plot->setRunLabel(run.id, run.label);
    plot->setRuns(runs());
    connect(plot, &MetricPlot::pointClicked, this, &RunDashboard::pointClicked);
    connect(plot, &MetricPlot::exported, this,
            [this](bool, const QString&, const QString& message) {
                m_status->setText(message);
                m_status->setToolTip(message);
            });
    connect(tile, &ChartTile::maximiseToggled, this,
            [this](const QString& which) { maximise(which == m_maximised ? QString() : which); });
    m_tiles.append(tile);
    m_byMetric[metric] = tile;
    return tile;
}

void RunDashboard::appendPoints(qint64 run, const QString& metric,
                                const QVector<MetricPoint>& points)
{
    if (points.isEmpty()) return;
    const auto it = m_byMetric.find(metric);
    ChartTile* tile = it != m_byMetric.end() ? it->second : nullptr;
    if (!tile) {
        tile = addTile(metric);
        m_laidOutColumns = -1;
        relayout();
    }
    tile->plot()->appendPoints(run, metric, points);
}

QStringList RunDashboard::chartMetrics() const
{
    QStringList metrics;
    for (const ChartTile* tile : m_tiles)
        metrics.append(tile->metric());
    return metrics;
}

MetricPlot* RunDashboard::chart(const QString& metric) const
{
    const auto it = m_byMetric.find(metric);
    return it == m_byMetric.end() ? nullptr : it->second->plot();
}

void RunDashboard::maximise(const QString& metric)
{
    m_maximised = metric;
    m_laidOutColumns = -1;
    relayout();
    saveLayout();
}

void RunDashboard::setColumns(int columns)
{
    m_columns = std::clamp(columns, 0, kMaxColumns);
    if (m_columnsSpin->value() != m_columns) m_columnsSpin->setValue(m_columns);
    relayout();
    saveLayout();
}

void RunDashboard::setSmoothing(double weight)
{
    m_smoothing->setValue(int(std::lround(std::clamp(weight, 0.0, 0.99) * 100)));
}

void RunDashboard::redrawNow()
{
    for (ChartTile* tile : m_tiles)
        if (tile->isVisible()) tile->plot()->redrawNow();
}

void RunDashboard::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    if (m_columns == 0) relayout(); // auto columns follow the width
}

int RunDashboard::effectiveColumns() const
{
    if (m_columns > 0) return m_columns;
    const int width = m_scroll->viewport()->width();
    return std::clamp(width / kMinimumChartWidth, 1, kMaxColumns);
}

// Places the tiles: the maximised one alone (filling the view), else all of them row by row.
void RunDashboard::relayout()
{
    ChartTile* alone = nullptr;
    if (const auto it = m_byMetric.find(m_maximised); it != m_byMetric.end()) alone = it->second;
    const int columns = alone ? 1 : effectiveColumns();
    if (columns == m_laidOutColumns) return;
    m_laidOutColumns = columns;
    while (m_grid->count() > 0)
        delete m_grid->takeAt(0); // the layout items, not the tiles
    for (int c = 0; c < kMaxColumns; ++c)
        m_grid->setColumnStretch(c, c < columns ? 1 : 0);
    int position = 0;
    for (ChartTile* tile : m_tiles) {
        const bool shown = !alone || tile == alone;
        tile->setVisible(shown);
        tile->setMaximised(tile == alone);
        if (!shown) continue;
        m_grid->addWidget(tile, position / columns, position % columns);
        ++position;
    }
    m_backToGrid->setVisible(alone != nullptr);
    // The maximised chart takes the whole view; in the grid each chart keeps its own height.
    m_scroll->setVerticalScrollBarPolicy(alone ? Qt::ScrollBarAlwaysOff : Qt::ScrollBarAsNeeded);
}

void RunDashboard::saveLayout() const
{
    QSettings settings;
    settings.setValue("dashboard/columns", m_columns);
    settings.setValue("dashboard/smoothing", m_smoothing->value());
    settings.setValue("dashboard/xmode", m_xMode->currentIndex());
    settings.setValue("dashboard/maximised", m_maximised);
}

} // namespace rlhf::widgets
