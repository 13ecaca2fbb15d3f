// A dashboard chart: title row over a MetricPlot (see charttile.h).
#include "widgets/plots/charttile.h"

#include "widgets/plots/metricplot.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {
constexpr int kMinimumChartHeight = 190; // room for axes, ticks and a curve at 1024x640
}

ChartTile::ChartTile(const QString& metric, QWidget* parent) : QFrame(parent), m_metric(metric)
{
    setFrameShape(QFrame::StyledPanel);
    setObjectName("chart:" + metric);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 4);
    layout->setSpacing(0);
    auto* titleRow = new QHBoxLayout;
    m_title = new QLabel("<b>" + metric.toHtmlEscaped() + "</b>");
    m_title->setToolTip(tr("Double-click to maximise this chart or go back to all charts"));
    m_title->installEventFilter(this);
    m_toggle = new QToolButton;
    m_toggle->setAutoRaise(true);
    connect(m_toggle, &QToolButton::clicked, this, [this] { Q_EMIT maximiseToggled(m_metric); });
    titleRow->addWidget(m_title, 1);
    titleRow->addWidget(m_toggle);
    layout->addLayout(titleRow);
    m_plot = new MetricPlot;
    m_plot->setMetric(metric);
    m_plot->setSharedControlsVisible(false); // the dashboard's row sets them for every chart
    m_plot->setMinimumHeight(kMinimumChartHeight);
    layout->addWidget(m_plot, 1);
    setMaximised(false);
}

void ChartTile::setMaximised(bool maximised)
{
    m_plot->setCompact(!maximised);
    m_toggle->setText(maximised ? tr("Back to all charts") : tr("Maximise"));
    m_toggle->setToolTip(maximised ? tr("Show every chart again")
                                   : tr("This chart alone, with log y and export"));
}

bool ChartTile::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_title && event->type() == QEvent::MouseButtonDblClick) {
        Q_EMIT maximiseToggled(m_metric);
        return true;
    }
    return QFrame::eventFilter(watched, event);
}

} // namespace rlhf::widgets
