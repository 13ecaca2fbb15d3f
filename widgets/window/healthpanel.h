// The health warnings of the selected run (core/train/health_checks.h) as a short list: each
// warning in a warning colour with its check's name, or "No warnings". Reads the run's metrics
// through its own connection to the project database; a live run asks for refreshes with
// refreshSoon(), which re-reads at most once a second.
#pragma once

#include <QElapsedTimer>
#include <QString>
#include <QTimer>
#include <QWidget>

#include <memory>

class QLabel;
class QListWidget;

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

class HealthPanel : public QWidget {
    Q_OBJECT
public:
    explicit HealthPanel(QWidget* parent = nullptr);
    ~HealthPanel() override;

    // Opens `project`'s database (an existing one only); an empty path closes it. Throws
    // rlhf::Error.
    void setProject(const QString& project);
    // The run whose warnings are shown; 0 for none. Refreshes at once.
    void setRun(qint64 run);
    qint64 run() const { return m_run; }

    void refresh();     // re-reads the run's metrics now
    void refreshSoon(); // refresh() now or, within a second of the last one, when it is up

    QListWidget* list() const { return m_list; }

private:
    std::unique_ptr<store::Database> m_database; // read-only use: this panel never writes
    QLabel* m_title = nullptr;                   // owned by this widget; names the run
    QListWidget* m_list = nullptr;               // owned by this widget
    QTimer m_throttle;                           // single shot: the refresh a burst deferred
    QElapsedTimer m_sinceRefresh;                // since the last refresh()
    qint64 m_run = 0;
};

} // namespace rlhf::widgets
