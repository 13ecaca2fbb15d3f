// The Runs tab's dashboard: a grid of small live charts, one MetricPlot per metric, for the
// selected runs overlaid. The charts that matter for the runs' stages come first (an empty one
// says so), then every other metric the runs log. One smoothing and x-axis choice for all; any
// chart maximised with its own toolbar (log y, export) by its button or a double click on its
// title. Columns, smoothing, x axis and the maximised chart are remembered (QSettings).
#pragma once

#include "widgets/plots/metricpoint.h"

#include <map>

#include <QList>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QComboBox;
class QGridLayout;
class QLabel;
class QPushButton;
class QScrollArea;
class QSlider;
class QSpinBox;

namespace rlhf::widgets {

class ChartTile;
class MetricPlot;

class RunDashboard : public QWidget {
    Q_OBJECT
public:
    struct RunInfo {
        qint64 id = 0;
        QString label; // in the legends, e.g. "run 3 sft-small"
        QString stage; // the store's stage name, e.g. "sft"
    };

    explicit RunDashboard(QWidget* parent = nullptr);
    ~RunDashboard() override;

    // The runs shown: forgets every point and lays out the charts of their stages.
    void setRuns(const QList<RunInfo>& runs);
    QList<qint64> runs() const;
    // Adds points of one metric of one run (a chart is added for a metric seen the first time).
    void appendPoints(qint64 run, const QString& metric, const QVector<MetricPoint>& points);

    QStringList chartMetrics() const;               // in grid order
    MetricPlot* chart(const QString& metric) const; // null when there is none
    void maximise(const QString& metric);           // "" (or an absent metric): the grid
    QString maximised() const { return m_maximised; }
    void setColumns(int columns); // 0: as many as fit (a chart is at least ~380 px wide)
    int columns() const { return m_columns; }
    void setSmoothing(double weight);
    QLabel* statusLabel() const { return m_status; } // exports say here where they wrote
    void redrawNow();                                // every chart, at once (tests, screenshots)

Q_SIGNALS:
    void pointClicked(qint64 run, double step); // on any chart

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    ChartTile* addTile(const QString& metric);
    void relayout();
    int effectiveColumns() const;
    void saveLayout() const;

    QSlider* m_smoothing = nullptr;      // owned by this widget
    QComboBox* m_xMode = nullptr;        // owned by this widget
    QSpinBox* m_columnsSpin = nullptr;   // owned by this widget
    QPushButton* m_backToGrid = nullptr; // owned by this widget, shown while maximised
    QLabel* m_status = nullptr;          // owned by this widget
    QScrollArea* m_scroll = nullptr;     // owned by this widget
    QWidget* m_gridHost = nullptr;       // owned by m_scroll
    QGridLayout* m_grid = nullptr;       // owned by m_gridHost

    QList<RunInfo> m_runs;
    QList<ChartTile*> m_tiles; // owned by m_gridHost, in grid order
    std::map<QString, ChartTile*> m_byMetric;
    QString m_maximised;
    int m_columns = 0;
    int m_laidOutColumns = -1;
};

} // namespace rlhf::widgets
