// The rollouts behind a point of a PPO / GRPO plot: a header line ("Run #3 step 40: 8
// rollouts, mean score 0.61, mean KL 1.2") over a table of the step's rollouts. A step that
// stored none shows the nearest one that did, and says so. Reads through its own connection to
// the project database, so a live run's writes never wait on it.
#pragma once

#include <QString>
#include <QWidget>

#include <memory>

class QLabel;
class QTableView;

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

class RolloutModel;

class RolloutView : public QWidget {
    Q_OBJECT
public:
    explicit RolloutView(QWidget* parent = nullptr);
    ~RolloutView() override;

    // Opens `project`'s database (an existing one only); an empty path closes it. Throws
    // rlhf::Error.
    void setProject(const QString& project);
    // Shows the rollouts of `run` at `step`, or at the nearest step that has some.
    void showStep(qint64 run, qint64 step);
    // Empties the table and shows `message` (e.g. what to click) in the header.
    void showMessage(const QString& message);

    qint64 shownRun() const { return m_run; }
    qint64 shownStep() const { return m_step; } // 0 when no rollouts are shown
    QString headerText() const;
    RolloutModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }

private:
    std::unique_ptr<store::Database> m_database; // read-only use: this view never writes
    RolloutModel* m_model = nullptr;             // owned by this widget
    QTableView* m_table = nullptr;               // owned by this widget
    QLabel* m_header = nullptr;                  // owned by this widget
    qint64 m_run = 0;
    qint64 m_step = 0;
};

} // namespace rlhf::widgets
