// The studio's live metric plot: one metric of several runs overlaid, each curve min/max
// decimated to the plot's pixel width and EMA-smoothed, with a small toolbar row for smoothing,
// log y, the x quantity and export (metricplotexport.cpp). Appends only mark the plot dirty; a
// timer redraws at most ten times a second. Without data for its metric it shows a note instead
// of a previous curve's axes.
#pragma once

#include "widgets/plots/emasmoothing.h"
#include "widgets/plots/metriccsv.h"
#include "widgets/plots/metricpoint.h"

#include <functional>
#include <map>
#include <utility>
#include <vector>

#include <QHash>
#include <QList>
#include <QPointF>
#include <QString>
#include <QTimer>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QCPGraph;
class QCPItemText;
class QCPItemTracer;
class QCPRange;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QSlider;

namespace rlhf::widgets {

class MetricPlot : public QWidget {
    Q_OBJECT

public:
    enum class XAxisMode { Step, WallTime }; // wall time is seconds since the series' first point
    enum class YScale { Linear, Log };

    explicit MetricPlot(QWidget* parent = nullptr);
    ~MetricPlot() override;

    // Adds points to the series (run, metric); they may arrive in any step order.
    void appendPoints(qint64 run, const QString& metric, const QVector<MetricPoint>& points);
    void setMetric(const QString& name);
    QString metric() const { return m_metric; }
    // The runs drawn, in legend order; each gets the palette colour of its position.
    void setRuns(const QList<qint64>& runs);
    QList<qint64> runs() const { return m_runs; }
    void setRunLabel(qint64 run, const QString& label);
    void clear();

    void setSmoothing(double weight); // 0 .. 0.99
    double smoothing() const { return m_smoothing; }
    void setYScale(YScale scale);
    YScale yScale() const { return m_yScale; }
    void setXAxisMode(XAxisMode mode);
    XAxisMode xAxisMode() const { return m_xAxisMode; }
    // A dashboard's small chart: no toolbar row (smoothing, log y, x, export), no y label (the
    // chart's title names the metric) and a legend only when it tells runs apart.
    void setCompact(bool compact);
    // Hides the toolbar's smoothing and x-axis controls where a dashboard sets them for every
    // chart at once (log y and export stay).
    void setSharedControlsVisible(bool visible);
    // The note drawn while no selected run has a point of the metric ("" while curves show).
    QString emptyNote() const;

    // Width or height 0 means the plot's current size. The curves are decimated again for the
    // export's width, so a 3000 px export keeps each of its pixel columns' min and max.
    bool exportPng(const QString& path, int width = 0, int height = 0);
    bool exportPdf(const QString& path, int width = 0, int height = 0);
    // What the last PNG / PDF export drew: its decimation's column budget and the point count of
    // each graph it held (raw and smoothed curves, in graph order).
    struct ExportDecimation {
        int columns = 0;
        QList<qsizetype> graphPoints;
    };
    ExportDecimation lastExportDecimation() const { return m_lastExport; }
    bool exportCsv(const QString& path) const; // every raw point of the shown metric
    // What exportCsv writes: the shown metric's raw points of the shown runs (of every run while
    // none is set), in run order.
    QList<MetricCsvRow> allRows() const;
    // Asks for a file (the format's extension added when none is typed), writes, says where.
    void exportInteractively(const QString& format);

    // Decimates the visible series for the current range and replots at once.
    void redrawNow();
    // Fits both axes to the data again (what a double click does) and redraws.
    void resetView();
    QCustomPlot* plot() const { return m_plot; }

Q_SIGNALS:
    // A click without drag on the plot: the series point nearest the cursor (what the hover
    // readout shows), as its run and step.
    void pointClicked(qint64 run, double step);
    // An interactive export wrote `path` (or failed: `ok` false, with the reason in `message`).
    void exported(bool ok, const QString& path, const QString& message);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void useStepTicks(bool steps); // integer ticks on a step axis
    struct Series {
        std::vector<MetricPoint> points; // sorted by step
        // Derived for the current x mode and smoothing, sorted by x; rebuilt when stale.
        std::vector<double> x;
        std::vector<double> raw;
        std::vector<double> smoothed;
        std::vector<qint64> steps; // the step of each derived point, for the hover readout
        EmaState ema;
        bool stale = true;      // derived arrays need a full rebuild
        bool reordered = false; // derived arrays were sorted by wall time, not in step order
    };
    struct VisibleCurve {
        qint64 run = 0;
        const Series* series = nullptr;
        QCPGraph* rawGraph = nullptr;
        QCPGraph* smoothedGraph = nullptr;
    };

    void buildToolbar();
    void markDirty();
    void markCurvesChanged();
    void invalidateDerived();
    void updateDerived(Series& series) const;
    void rebuildCurves();
    int screenColumns() const; // the decimation budget on screen: one column per pixel
    void updateGraphData(int columns);
    bool exportWith(int width, const std::function<bool()>& save);
    void showEmptyNote(bool empty);
    void fitRanges();
    void onUserRangeChanged();
    void onMouseMove(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);
    struct NearestPoint {
        const VisibleCurve* curve = nullptr; // nullptr when no point is shown
        std::size_t index = 0;               // into the curve's derived arrays
    };
    NearestPoint nearestPoint(QPointF pixel) const;
    QString runLabel(qint64 run) const;
    Series* findSeries(qint64 run, const QString& metric);

    QCustomPlot* m_plot = nullptr;        // owned by this widget (Qt parent)
    QSlider* m_smoothingSlider = nullptr; // owned by this widget
    QLabel* m_smoothingLabel = nullptr;   // owned by this widget
    QCheckBox* m_logCheck = nullptr;      // owned by this widget
    QComboBox* m_xModeCombo = nullptr;    // owned by this widget
    QWidget* m_toolbar = nullptr;         // owned by this widget: the row above the plot
    QList<QWidget*> m_sharedControls;     // in m_toolbar: smoothing and x-axis widgets
    QCPItemText* m_emptyNote = nullptr;   // owned by m_plot
    QCPItemTracer* m_tracer = nullptr;    // owned by m_plot
    QCPItemText* m_readout = nullptr;     // owned by m_plot
    QTimer m_redrawTimer;                 // single shot, restarts only after a redraw

    std::map<std::pair<qint64, QString>, Series> m_series;
    QList<qint64> m_runs;
    QHash<qint64, QString> m_runLabels;
    QString m_metric;
    std::vector<VisibleCurve> m_curves; // graphs of the shown metric, one entry per run with data
    double m_smoothing = 0.6;
    YScale m_yScale = YScale::Linear;
    XAxisMode m_xAxisMode = XAxisMode::Step;
    bool m_curvesChanged = true; // graphs must be recreated (runs, metric, labels, modes)
    bool m_compact = false;      // see setCompact
    bool m_autoRange = true;     // follow the data until the user zooms or pans
    bool m_settingRange = false; // our own range changes are not user interaction
    QPointF m_pressAt;           // where the last press was, to tell a click from a drag
    ExportDecimation m_lastExport;
};

} // namespace rlhf::widgets
