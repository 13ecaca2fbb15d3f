#include "widgets/window/quarantinemodel.h"

#include <QColor>
#include <QFileInfo>

namespace rlhf::widgets {

namespace {

constexpr int kRawTooltipChars = 600; // of the row's bytes shown in a tooltip

} // namespace

QuarantineModel::QuarantineModel(QObject* parent) : QAbstractTableModel(parent) {}

void QuarantineModel::setRows(std::vector<store::RejectedRow> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

int QuarantineModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int QuarantineModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant QuarantineModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size())) return {};
    const auto& row = m_rows[size_t(index.row())];
    if (role == Qt::ToolTipRole) {
        const std::string& body = row.document ? *row.document : row.raw;
        return QString::fromUtf8(body.data(), qsizetype(body.size())).left(kRawTooltipChars);
    }
    if (role == Qt::ForegroundRole && row.restoredAs) return QColor(Qt::gray);
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Step:
        return QString::fromStdString(row.step);
    case Reason:
        return row.field.empty() ? QString::fromStdString(row.reason)
                                 : QStringLiteral("%1: %2").arg(QString::fromStdString(row.field),
                                                                QString::fromStdString(row.reason));
    case Source:
        return QStringLiteral("%1:%2")
            .arg(QFileInfo(QString::fromStdString(row.sourceFile)).fileName())
            .arg(row.sourceLine);
    case DuplicateOf:
        return row.duplicateOf ? tr("document %1").arg(*row.duplicateOf) : QString();
    case Restored:
        return row.restoredAs ? tr("as document %1").arg(*row.restoredAs) : QString();
    default:
        return {};
    }
}

QVariant QuarantineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Step:
        return tr("Step");
    case Reason:
        return tr("Reason");
    case Source:
        return tr("Source");
    case DuplicateOf:
        return tr("Duplicate of");
    case Restored:
        return tr("Restored");
    default:
        return {};
    }
}

} // namespace rlhf::widgets
