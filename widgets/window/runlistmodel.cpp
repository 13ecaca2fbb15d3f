#include "widgets/window/runlistmodel.h"

#include "core/store/database.h"
#include "widgets/plots/stagemetrics.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace rlhf::widgets {

RunListModel::RunListModel(QObject* parent) : QAbstractTableModel(parent) {}

RunListModel::~RunListModel() = default;

void RunListModel::setProject(const QString& project)
{
    beginResetModel();
    m_rows.clear();
    m_database.reset();
    if (!project.isEmpty())
        m_database = std::make_unique<store::Database>((project + "/project.sqlite").toStdString(),
                                                       store::OpenMode::ExistingOnly);
    endResetModel();
    refresh();
}

void RunListModel::refresh()
{
    if (!m_database) return;
    std::vector<Row> rows;
    for (const store::Run& run : m_database->runs()) {
        Row row;
        row.id = run.id;
        row.parent = run.parent.value_or(0);
        row.name = QString::fromStdString(run.name);
        const auto stage = store::runStageName(run.stage),
                   status = store::runStatusName(run.status);
        row.stage = QString::fromUtf8(stage.data(), qsizetype(stage.size()));
        row.status = QString::fromUtf8(status.data(), qsizetype(status.size()));
        row.configJson = QString::fromStdString(run.configJson);
        const auto config =
            nlohmann::json::parse(run.configJson, nullptr, /*allow_exceptions=*/false);
        row.resume = config.is_object() && config.contains("resume_from");
        if (run.ended) row.seconds = *run.ended - run.started;
        const BestMetric judged = stageBestMetric(row.stage);
        for (const auto& sample : m_database->metricSeries(run.id, judged.metric.toStdString()))
            if (std::isfinite(sample.value) && // a diverged evaluation is no best
                (!row.best ||
                 (judged.lowerIsBetter ? sample.value < *row.best : sample.value > *row.best)))
                row.best = sample.value;
        rows.push_back(std::move(row));
    }
    if (rows.size() == m_rows.size()) { // same runs: update in place, keep the selection
        m_rows = std::move(rows);
        if (!m_rows.empty())
            Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

qint64 RunListModel::runId(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? m_rows[row].id : 0;
}

QString RunListModel::configJson(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? m_rows[row].configJson : QString();
}

qint64 RunListModel::parentRunId(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? m_rows[row].parent : 0;
}

bool RunListModel::isResume(int row) const
{
    return row >= 0 && row < int(m_rows.size()) && m_rows[row].resume;
}

QString RunListModel::stage(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? m_rows[row].stage : QString();
}

void RunListModel::setPausedRun(qint64 run)
{
    m_pausedRun = run;
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, Status), index(int(m_rows.size()) - 1, Status));
}

void RunListModel::noteMetric(qint64 run, const QString& metric, double value)
{
    const int at = rowOfRun(run);
    if (at < 0 || !std::isfinite(value)) return;
    Row& row = m_rows[size_t(at)];
    const BestMetric judged = stageBestMetric(row.stage);
    if (metric != judged.metric) return;
    if (row.best && (judged.lowerIsBetter ? value >= *row.best : value <= *row.best)) return;
    row.best = value;
    Q_EMIT dataChanged(index(at, Best), index(at, Best));
}

QString RunListModel::bestText(const Row& row) const
{
    if (!row.best) return "-";
    const BestMetric judged = stageBestMetric(row.stage);
    QString text = QString("%1 %2").arg(judged.label).arg(*row.best, 0, 'f', 3);
    if (judged.metric == "val/loss")
        text += QString(" (ppl %1)").arg(std::exp(*row.best), 0, 'f', 1);
    return text;
}

int RunListModel::rowOfRun(qint64 runId) const
{
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].id == runId) return int(i);
    return -1;
}

int RunListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RunListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size())) return {};
    const Row& row = m_rows[index.row()];
    if (role == Qt::ToolTipRole) {
        if (index.column() == From && row.parent)
            return row.resume ? tr("Resumed: continues run #%1 from its checkpoint").arg(row.parent)
                              : tr("Started from a checkpoint of run #%1").arg(row.parent);
        if (index.column() == Best)
            return tr("The best %1 this run reached on held-out data")
                .arg(stageBestMetric(row.stage).label);
        return row.configJson;
    }
    if (role == Qt::TextAlignmentRole && (index.column() == Id || index.column() == Duration))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole) return {};
    switch (Column(index.column())) {
    case Id:
        return row.id;
    case Name:
        return row.name;
    case Stage:
        return row.stage;
    case Status:
        return row.id == m_pausedRun && row.status == "running" ? QString("paused") : row.status;
    case From:
        return !row.parent  ? QString()
               : row.resume ? QString("resumed #%1").arg(row.parent)
                            : QString("from #%1").arg(row.parent);
    case Duration:
        return row.seconds < 0 ? QString("-")
                               : QString("%1:%2")
                                     .arg(int(row.seconds) / 60)
                                     .arg(int(row.seconds) % 60, 2, 10, QChar('0'));
    case Best:
        return bestText(row);
    case ColumnCount:
        break;
    }
    return {};
}

QVariant RunListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Run", "Name", "Stage", "Status", "From", "Duration", "Best"};
    return section >= 0 && section < ColumnCount ? QString(names[section]) : QVariant();
}

} // namespace rlhf::widgets
