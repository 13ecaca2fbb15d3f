#include "widgets/plots/histogramplot.h"

#include "widgets/plots/qcustomplot_include.h"

#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

#include <algorithm>

namespace rlhf::widgets {

namespace {

constexpr QRgb kBarColour = 0x1f77b4; // Tableau blue, as the metric plot's first run

} // namespace

HistogramPlot::HistogramPlot(const QString& title, const QString& unit, QWidget* parent)
    : QWidget(parent), m_title(title)
{
    m_caption = new QLabel(this);
    m_caption->setObjectName(QStringLiteral("histogramCaption"));
    m_plot = new QCustomPlot(this);
    m_plot->setMinimumHeight(160);
    m_plot->xAxis->setLabel(unit);
    m_plot->yAxis->setLabel(tr("documents"));
    m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
    m_bars->setPen(QPen(QColor(kBarColour).darker(130)));
    m_bars->setBrush(QColor(kBarColour));
    m_bars->setWidthType(QCPBars::wtPlotCoords);
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create(); // document counts are whole
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    m_plot->yAxis->setTicker(ticker);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_caption);
    layout->addWidget(m_plot, /*stretch=*/1);
    setMessage(tr("No data"));
}

void HistogramPlot::setHistogram(const data::Histogram& histogram, int64_t population)
{
    m_histogram = histogram;
    if (histogram.counts.empty()) {
        setMessage(tr("No documents"));
        return;
    }
    QVector<double> keys, values;
    int64_t highest = 0;
    for (size_t i = 0; i < histogram.counts.size(); ++i) {
        keys << (histogram.edges[i] + histogram.edges[i + 1]) / 2.0;
        values << double(histogram.counts[i]);
        highest = std::max(highest, histogram.counts[i]);
    }
    const double width = histogram.edges[1] - histogram.edges[0];
    m_bars->setWidth(width);
    m_bars->setData(keys, values, /*alreadySorted=*/true);
    m_plot->xAxis->setRange(histogram.edges.front() - width / 2,
                            histogram.edges.back() + width / 2);
    m_plot->yAxis->setRange(0, double(highest) * 1.08 + 0.5);
    const QLocale locale;
    const QString documents =
        population > histogram.total
            ? tr("a sample of %1 of %2 documents")
                  .arg(locale.toString(qint64(histogram.total)),
                       locale.toString(qint64(population)))
            : tr("%1 documents").arg(locale.toString(qint64(histogram.total)));
    m_caption->setText(tr("<b>%1</b>: %2, mean %3, median %4, max %5")
                           .arg(m_title, documents, locale.toString(histogram.mean, 'f', 0),
                                locale.toString(qint64(histogram.median)),
                                locale.toString(qint64(histogram.maximum))));
    m_plot->replot();
}

void HistogramPlot::setMessage(const QString& message)
{
    m_histogram = {};
    m_bars->data()->clear();
    m_caption->setText(tr("<b>%1</b>: %2").arg(m_title, message));
    m_plot->replot();
}

int HistogramPlot::barCount() const
{
    return m_bars->data()->size();
}

} // namespace rlhf::widgets
