// The studio's Data tab: the project's datasets (name, kind, documents) beside the DatasetPage of
// the selected one. The list is a few rows of the project database, read when the project opens
// and after an import; the page does its heavy reads on worker threads.
#pragma once

#include <QWidget>

class QListWidget;

namespace rlhf::widgets {

class DatasetPage;

class DataView : public QWidget {
    Q_OBJECT

public:
    explicit DataView(QWidget* parent = nullptr);

    // Shows the project's datasets and selects `selectName` (else keeps the selection).
    void setProject(const QString& projectPath, const QString& selectName = {});
    void refresh(const QString& selectName = {});
    // The list alone (names, kinds, counts): cheap enough for every return to the window. The
    // page reloads only when its dataset is gone; refresh() reloads it too.
    void refreshList();

    QListWidget* datasetList() const { return m_list; }
    DatasetPage* page() const { return m_page; }

private:
    // Re-reads the list, selects `selectName` (else the selection, else the first); returns the
    // selected dataset's id, 0 for none.
    qint64 fillList(const QString& selectName);
    void showSelected();

    QString m_projectPath;
    QListWidget* m_list = nullptr; // owned by the view, like the page
    DatasetPage* m_page = nullptr;
};

} // namespace rlhf::widgets
