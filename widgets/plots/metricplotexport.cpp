// MetricPlot's exports (see metricplot.h): PNG and PDF re-decimated for the export's width, the
// shown metric's raw points as CSV, and the interactive export that asks for a file, gives it
// its extension and says where it wrote.
#include "widgets/plots/metricplot.h"

#include "widgets/plots/qcustomplot_include.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLocale>
#include <QMessageBox>

namespace rlhf::widgets {

bool MetricPlot::exportPng(const QString& path, int width, int height)
{
    return exportWith(width, [&] { return m_plot->savePng(path, width, height); });
}

bool MetricPlot::exportPdf(const QString& path, int width, int height)
{
    return exportWith(width, [&] { return m_plot->savePdf(path, width, height); });
}

bool MetricPlot::exportWith(int width, const std::function<bool()>& save)
{
    m_redrawTimer.stop();
    if (m_curvesChanged) rebuildCurves();
    const int columns = width > 0 ? width : screenColumns();
    updateGraphData(columns);
    m_lastExport = {columns, {}};
    for (int i = 0; i < m_plot->graphCount(); ++i)
        m_lastExport.graphPoints.append(m_plot->graph(i)->data()->size());
    const bool saved = save();
    updateGraphData(screenColumns()); // back to the screen's resolution
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    return saved;
}

bool MetricPlot::exportCsv(const QString& path) const
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    const QByteArray bytes = formatMetricCsv(allRows()).toUtf8();
    return file.write(bytes) == bytes.size() && file.flush();
}

QList<MetricCsvRow> MetricPlot::allRows() const
{
    QList<MetricCsvRow> rows;
    const auto add = [&rows](qint64 run, const QString& metric, const Series& series) {
        for (const MetricPoint& point : series.points)
            rows.append({run, metric, point});
    };
    if (m_runs.isEmpty()) {
        for (const auto& [key, series] : m_series)
            if (key.second == m_metric) add(key.first, key.second, series);
        return rows;
    }
    for (const qint64 run : m_runs) {
        const auto it = m_series.find({run, m_metric});
        if (it != m_series.end()) add(run, m_metric, it->second);
    }
    return rows;
}

void MetricPlot::exportInteractively(const QString& format)
{
    const QString suffix = "." + format;
    const QString filter = format == "png"   ? tr("PNG images (*.png)")
                           : format == "pdf" ? tr("PDF documents (*.pdf)")
                                             : tr("CSV files (*.csv)");
    // A name from the metric ("train/loss" -> train-loss.png); the dialog asks before it
    // replaces a file.
    const QString proposal = QString(m_metric).replace('/', '-') + suffix;
    QString path =
        QFileDialog::getSaveFileName(this, tr("Export %1").arg(m_metric), proposal, filter);
    if (path.isEmpty()) return;
    if (!path.endsWith(suffix, Qt::CaseInsensitive)) {
        path += suffix; // the dialog only asked about the name as typed
        if (QFileInfo::exists(path) &&
            QMessageBox::question(this, tr("Export %1").arg(m_metric),
                                  tr("%1 exists. Replace it?").arg(path)) != QMessageBox::Yes)
            return;
    }
    const bool ok = format == "png"   ? exportPng(path)
                    : format == "pdf" ? exportPdf(path)
                                      : exportCsv(path);
    const QFileInfo written(path);
    Q_EMIT exported(ok, path,
                    ok ? tr("Wrote %1 (%2)")
                             .arg(QDir::toNativeSeparators(written.absoluteFilePath()),
                                  QLocale().formattedDataSize(written.size()))
                       : tr("Could not write %1").arg(QDir::toNativeSeparators(path)));
}

} // namespace rlhf::widgets
