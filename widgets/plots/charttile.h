// One chart of the run dashboard: a title row (the metric, a maximise / restore button) over a
// MetricPlot whose own toolbar shows only while the chart is maximised.
#pragma once

#include <QFrame>
#include <QString>

class QLabel;
class QToolButton;

namespace rlhf::widgets {

class MetricPlot;

class ChartTile : public QFrame {
    Q_OBJECT
public:
    explicit ChartTile(const QString& metric, QWidget* parent = nullptr);

    QString metric() const { return m_metric; }
    MetricPlot* plot() const { return m_plot; }
    void setMaximised(bool maximised);

Q_SIGNALS:
    void maximiseToggled(const QString& metric); // the button or a double click on the title

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QString m_metric;
    QLabel* m_title = nullptr;       // owned by this widget
    QToolButton* m_toggle = nullptr; // owned by this widget
    MetricPlot* m_plot = nullptr;    // owned by this widget
};

} // namespace rlhf::widgets
