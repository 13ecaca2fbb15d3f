// What the studio shows before a project is open: start a new project, open one, open the demo
// project (the addition task, ready to train), or reopen a recent one (missing folders are
// shown as such, not offered).
#pragma once

#include <QStringList>
#include <QWidget>

class QListWidget;

namespace rlhf::widgets {

class WelcomePage : public QWidget {
    Q_OBJECT
public:
    explicit WelcomePage(QWidget* parent = nullptr);

    void setRecentProjects(const QStringList& folders);
    QListWidget* recentList() const { return m_recent; }

Q_SIGNALS:
    void newProjectRequested();
    void openProjectRequested();
    void demoProjectRequested();
    void recentProjectRequested(const QString& folder);

private:
    QListWidget* m_recent = nullptr; // owned by this widget
};

} // namespace rlhf::widgets
