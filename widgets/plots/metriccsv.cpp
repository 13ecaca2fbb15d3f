// Writing and reading the plot's CSV format (see metriccsv.h).
#include "widgets/plots/metriccsv.h"

#include <stdexcept>

#include <QStringList>

namespace rlhf::widgets {

namespace {

constexpr int kFieldCount = 5;
constexpr int kDoubleDigits = 17; // enough significant digits to round-trip any double

QString quoted(const QString& field)
{
    if (!field.contains(u',') && !field.contains(u'"') && !field.contains(u'\n') &&
        !field.contains(u'\r'))
        return field;
    QString escaped = field;
    escaped.replace(QStringLiteral("\""), QStringLiteral("\"\""));
    return u'"' + escaped + u'"';
}

[[noreturn]] void fail(int line, const QString& message)
{
    throw std::runtime_error(
        QStringLiteral("metric CSV line %1: %2").arg(line).arg(message).toStdString());
}

// Splits the record starting at `pos` into fields and moves `pos` past its line break.
// Quoted fields may hold commas, quotes ("") and line breaks.
QStringList readRecord(QStringView text, qsizetype& pos, int line)
{
    QStringList fields;
    QString field;
    bool inQuotes = false;
    while (pos < text.size()) {
        const QChar c = text[pos++];
        if (inQuotes) {
            if (c != u'"') {
                field += c;
            } else if (pos < text.size() && text[pos] == u'"') {
                field += u'"';
                ++pos;
            } else {
                inQuotes = false;
            }
        } else if (c == u'"') {
            if (!field.isEmpty()) fail(line, QStringLiteral("quote inside an unquoted field"));
            inQuotes = true;
        } else if (c == u',') {
            fields.append(field);
            field.clear();
        } else if (c == u'\n' || c == u'\r') {
            if (c == u'\r' && pos < text.size() && text[pos] == u'\n') ++pos;
            break;
        } else {
            field += c;
        }
    }
    if (inQuotes) fail(line, QStringLiteral("unterminated quoted field"));
    fields.append(field);
    return fields;
}

qint64 toInteger(const QString& field, int line, const char* name)
{
    bool ok = false;
    const qint64 value = field.toLongLong(&ok);
    if (!ok) fail(line, QStringLiteral("%1 '%2' is not an integer").arg(name, field));
    return value;
}

double toDouble(const QString& field, int line, const char* name)
{
    bool ok = false;
    const double value = field.toDouble(&ok);
    if (!ok) fail(line, QStringLiteral("%1 '%2' is not a number").arg(name, field));
    return value;
}

} // namespace

QString formatMetricCsv(const QList<MetricCsvRow>& rows)
{
    QString text = QString::fromLatin1(kMetricCsvHeader) + u'\n';
    text.reserve(text.size() + rows.size() * 64);
    for (const MetricCsvRow& row : rows) {
        text += QString::number(row.run) + u',' + quoted(row.metric) + u',' +
                QString::number(row.point.step) + u',' +
                QString::number(row.point.wallTime, 'g', kDoubleDigits) + u',' +
                QString::number(row.point.value, 'g', kDoubleDigits) + u'\n';
    }
    return text;
}

QList<MetricCsvRow> parseMetricCsv(QStringView text)
{
    qsizetype pos = 0;
    int line = 1;
    const QStringList header = readRecord(text, pos, line);
    if (header.join(u',') != QLatin1String(kMetricCsvHeader))
        fail(line, QStringLiteral("header '%1', expected '%2'")
                       .arg(header.join(u','), QLatin1String(kMetricCsvHeader)));
    QList<MetricCsvRow> rows;
    while (pos < text.size()) {
        ++line;
        const QStringList fields = readRecord(text, pos, line);
        if (fields.size() == 1 && fields.front().isEmpty()) continue; // blank line
        if (fields.size() != kFieldCount)
            fail(line,
                 QStringLiteral("%1 fields, expected %2").arg(fields.size()).arg(kFieldCount));
        MetricCsvRow row;
        row.run = toInteger(fields[0], line, "run");
        row.metric = fields[1];
        row.point.step = toInteger(fields[2], line, "step");
        row.point.wallTime = toDouble(fields[3], line, "wall_time");
        row.point.value = toDouble(fields[4], line, "value");
        rows.append(row);
    }
    return rows;
}

} // namespace rlhf::widgets
