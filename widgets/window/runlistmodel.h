// The run history of a project as a table: name, stage, status, the run a resume continued,
// duration and the best validation loss and perplexity of each run, read from the project
// database (its own read connection).
#pragma once

#include <QAbstractTableModel>
#include <QString>

#include <memory>
#include <vector>

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

class RunListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Id,
        Name,
        Stage,
        Status,
        ResumedFrom, // "#3" when the run continued run 3's checkpoint
        Duration,
        BestValLoss,
        BestPerplexity,
        ColumnCount
    };

    explicit RunListModel(QObject* parent = nullptr);
    ~RunListModel() override;

    // Opens `project`'s database read-side; an empty path closes it. Throws rlhf::Error.
    void setProject(const QString& project);
    void refresh(); // re-reads every run (cheap: one row per run)

    qint64 runId(int row) const;
    QString configJson(int row) const;
    qint64 parentRunId(int row) const; // the run it was resumed from; 0 for a fresh start
    int rowOfRun(qint64 runId) const;  // -1 when absent

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    struct Row {
        qint64 id = 0;
        qint64 parent = 0; // 0 = not a resume
        QString name, stage, status, configJson;
        double seconds = -1;     // -1 while running
        double bestValLoss = -1; // -1 without validation
    };
    std::unique_ptr<store::Database> m_database;
    std::vector<Row> m_rows;
};

} // namespace rlhf::widgets
