// First page of the ImportWizard: the files to import (Add files…, Remove, or dropped from a
// file manager) and the dataset they go into, new or existing.
#pragma once

#include <QStringList>
#include <QWizardPage>

class QComboBox;
class QLabel;
class QListWidget;

namespace rlhf::widgets {

class ImportFilesPage : public QWizardPage {
    Q_OBJECT

public:
    explicit ImportFilesPage(const QString& projectPath, QWidget* parent = nullptr);

    QStringList files() const; // absolute paths, in the order shown
    QString datasetName() const;
    // The kind ("text", "chat", "preference") of the existing dataset named; "" for a new one.
    QString existingKind() const;
    // Adds files not already listed (what the file dialog and a drop do).
    void addFiles(const QStringList& paths);

    bool isComplete() const override;

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void describeDataset();

    struct ExistingDataset {
        QString name;
        QString kind; // "text", "chat", "preference"
        qint64 documents = 0;
    };

    QList<ExistingDataset> m_existing;
    QListWidget* m_list = nullptr; // owned by the page, like the widgets below
    QComboBox* m_dataset = nullptr;
    QLabel* m_datasetInfo = nullptr;
};

} // namespace rlhf::widgets
