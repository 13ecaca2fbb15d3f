// A table model over one page of a dataset's quarantine (store::RejectedRow): the step that
// turned each row away, why, where it came from (file:line) and which document it duplicates.
// It holds rows already read; the dataset page does the reading, off the GUI thread.
#pragma once

#include "core/store/records.h"

#include <QAbstractTableModel>

#include <vector>

namespace rlhf::widgets {

class QuarantineModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { Step, Reason, Source, DuplicateOf, Restored, ColumnCount };

    explicit QuarantineModel(QObject* parent = nullptr);

    void setRows(std::vector<store::RejectedRow> rows);
    const store::RejectedRow& rejected(int row) const { return m_rows.at(size_t(row)); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<store::RejectedRow> m_rows;
};

} // namespace rlhf::widgets
