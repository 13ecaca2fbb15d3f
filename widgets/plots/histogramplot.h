// A bar chart of one data::Histogram (QCustomPlot): the dataset page's length and token-count
// distributions, titled, with the count, mean and median under the title. Not interactive
// beyond its tooltip.
#pragma once

#include "core/data/dataset_stats.h"

#include <QWidget>

class QCPBars;
class QCustomPlot;
class QLabel;

namespace rlhf::widgets {

class HistogramPlot : public QWidget {
    Q_OBJECT

public:
    // `unit` names the x axis, e.g. "characters".
    HistogramPlot(const QString& title, const QString& unit, QWidget* parent = nullptr);

    // `population`: documents the histogram stands for, when it measured a sample of them.
    void setHistogram(const data::Histogram& histogram, int64_t population = 0);
    // Shown instead of bars, e.g. "Computing…" or "Choose a tokenizer".
    void setMessage(const QString& message);
    // Bars currently drawn (0 when a message is shown): for tests.
    int barCount() const;
    int64_t countedValues() const { return m_histogram.total; }

private:
    QString m_title;
    data::Histogram m_histogram;
    QLabel* m_caption = nullptr; // owned by the widget, like the plot
    QCustomPlot* m_plot = nullptr;
    QCPBars* m_bars = nullptr; // owned by m_plot
};

} // namespace rlhf::widgets
