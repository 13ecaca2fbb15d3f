// First page of the ImportWizard: the files to import (Add files…, Remove, or dropped from a
// file manager) and the dataset they go into, new or existing. A file that is empty or not text
// at all (an executable, an image) is refused here, named with the reason, and never listed.
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
    // Files that are empty or binary are not added: refusedText() names each with the reason.
    void addFiles(const QStringList& paths);
    // "Not added: …" with one line per refused file; empty when the last add refused none.
    QString refusedText() const;

    // Why `path` cannot be imported ("empty (0 bytes)", "binary data, not text (…)"), judged
    // on its first 64 KiB after decompression; empty for a text file.
    static QString refusal(const QString& path);

    bool isComplete() const override;
    // Checks the listed files again (they may have changed since they were added).
    bool validatePage() override;

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void describeDataset();
    void showRefused(const QStringList& lines);

    struct ExistingDataset {
        QString name;
        QString kind; // "text", "chat", "preference"
        qint64 documents = 0;
    };

    QList<ExistingDataset> m_existing;
    QListWidget* m_list = nullptr; // owned by the page, like the widgets below
    QComboBox* m_dataset = nullptr;
    QLabel* m_datasetInfo = nullptr;
    QLabel* m_refused = nullptr; // the files the last add or check refused, and why
};

} // namespace rlhf::widgets
