// The run history of a project as a table: name, stage, status ("paused" while the live run
// is), the run it resumed or started from, duration and the best held-out value of the metric
// its stage is judged by (val loss and perplexity, val accuracy, sampled accuracy), read from
// the project database (its own read connection) and kept current from live metrics.
#pragma once

#include <QAbstractTableModel>
#include <QString>

#include <memory>
#include <optional>
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
        From, // "resumed #3" when it continued run 3; "from #2" when it started from run 2's
        Duration,
        Best, // e.g. "val loss 1.2345 (ppl 3.44)" or "val accuracy 0.912"
        ColumnCount
    };

    explicit RunListModel(QObject* parent = nullptr);
    ~RunListModel() override;

    // Opens `project`'s database read-side; an empty path closes it. Throws rlhf::Error.
    void setProject(const QString& project);
    void refresh(); // re-reads every run (cheap: one row per run)

    qint64 runId(int row) const;
    QString configJson(int row) const;
    qint64 parentRunId(int row) const; // the run it resumed or started from; 0 for neither
    bool isResume(int row) const;      // it continued its parent run (Run > Resume)
    QString stage(int row) const;      // the store's stage name, e.g. "dpo"
    // The live run is paused (`run` 0: none is); its status reads "paused".
    void setPausedRun(qint64 run);
    // A live metric: updates the run's best value when it is its stage's metric.
    void noteMetric(qint64 run, const QString& metric, double value);
    int rowOfRun(qint64 runId) const; // -1 when absent

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    struct Row {
        qint64 id = 0;
        qint64 parent = 0;   // 0 = started from scratch or a base model
        bool resume = false; // the config continued the parent (resume_from)
        QString name, stage, status, configJson;
        double seconds = -1;        // -1 while running
        std::optional<double> best; // of the stage's metric (stagemetrics.h)
    };
    QString bestText(const Row& row) const;
    qint64 m_pausedRun = 0;
    std::unique_ptr<store::Database> m_database;
    std::vector<Row> m_rows;
};

} // namespace rlhf::widgets
