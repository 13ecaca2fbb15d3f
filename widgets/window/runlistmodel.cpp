#include "widgets/window/runlistmodel.h"

#include "core/store/database.h"

#include <QDateTime>

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
        if (run.ended) row.seconds = *run.ended - run.started;
        for (const auto& sample : m_database->metricSeries(run.id, "val/loss"))
            if (std::isfinite(sample.value) && // a diverged evaluation is no best
                (row.bestValLoss < 0 || sample.value < row.bestValLoss))
                row.bestValLoss = sample.value;
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
    if (role == Qt::ToolTipRole)
        return index.column() == ResumedFrom && row.parent
                   ? tr("Resumed from a checkpoint of run #%1").arg(row.parent)
                   : row.configJson;
    if (role == Qt::TextAlignmentRole && index.column() != Name)
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
        return row.status;
    case ResumedFrom:
        return row.parent ? QString("#%1").arg(row.parent) : QString();
    case Duration:
        return row.seconds < 0 ? QString("-")
                               : QString("%1:%2")
                                     .arg(int(row.seconds) / 60)
                                     .arg(int(row.seconds) % 60, 2, 10, QChar('0'));
    case BestValLoss:
        return row.bestValLoss < 0 ? QString("-") : QString::number(row.bestValLoss, 'f', 4);
    case BestPerplexity:
        return row.bestValLoss < 0 ? QString("-")
                                   : QString::number(std::exp(row.bestValLoss), 'f', 2);
    case ColumnCount:
        break;
    }
    return {};
}

QVariant RunListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Run",          "Name",     "Stage",         "Status",
                                  "Resumed from", "Duration", "Best val loss", "Best perplexity"};
    return section >= 0 && section < ColumnCount ? QString(names[section]) : QVariant();
}

} // namespace rlhf::widgets
