// The plot's CSV format, one row per raw point: run,metric,step,wall_time,value. Doubles are
// written with 17 significant digits so a write followed by a parse gives back the same bits.
#pragma once

#include "widgets/plots/metricpoint.h"

#include <QList>
#include <QString>
#include <QStringView>

namespace rlhf::widgets {

struct MetricCsvRow {
    qint64 run = 0; // run id in the store
    QString metric; // metric name, e.g. "train/loss"
    MetricPoint point;

    friend bool operator==(const MetricCsvRow&, const MetricCsvRow&) = default;
};

// The header line, without a line break.
inline constexpr char kMetricCsvHeader[] = "run,metric,step,wall_time,value";

// The whole file: header then one line per row; metric names are quoted where needed (RFC 4180).
QString formatMetricCsv(const QList<MetricCsvRow>& rows);

// Parses text written by formatMetricCsv (or any CSV with that header). Throws
// std::runtime_error naming the line on a wrong header, a wrong field count or a bad number.
QList<MetricCsvRow> parseMetricCsv(QStringView text);

} // namespace rlhf::widgets
