// Second page of the ImportWizard: what each file was detected as, a preview table of the
// chosen file's first rows (QTableView), its first records rendered as chat transcripts, and
// overrides for format, compression, text unit and record shape. Detection and preview run on a
// worker thread.
#pragma once

#include "core/data/readers/reader.h"

#include <QStringList>
#include <QWizardPage>

#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QStandardItemModel;
class QTableView;
class QTextBrowser;

namespace rlhf::widgets {

class ImportFilesPage;
template <typename Result> class LatestJob;

// What the worker found for the page; `error` names the file that could not be read.
struct FormatPreview {
    std::vector<data::Detection> detections; // one per file, in order
    data::PreviewTable table;                // of the previewed file
    std::vector<data::Record> records;       // its first records, as the readers make them
    QString error;
};

class ImportFormatPage : public QWizardPage {
    Q_OBJECT

public:
    ImportFormatPage(const ImportFilesPage* files, QWidget* parent = nullptr);
    ~ImportFormatPage() override;

    // The overrides (Auto where the user left detection alone); no mapping.
    data::ReadOptions readOptions() const;
    // What was detected for the first file (with the overrides applied); valid once
    // previewReady() was emitted.
    const data::Detection& detection() const { return m_detection; }
    // The previewed file's first rows, as shown in the table.
    const data::PreviewTable& previewTable() const { return m_rows; }
    bool previewBusy() const;

    void initializePage() override;
    bool isComplete() const override;

Q_SIGNALS:
    void previewReady();

private:
    void requestPreview();
    void showPreview(const FormatPreview& preview);
    // Why these files cannot go into one dataset (kinds that differ from each other or from
    // the existing dataset's); empty when they can.
    QString kindProblem(const FormatPreview& preview) const;

    const ImportFilesPage* m_files; // the wizard's first page
    QStringList m_requestedFiles;   // files of the latest request
    data::Detection m_detection;
    data::PreviewTable m_rows; // of the latest preview
    bool m_ready = false;
    std::unique_ptr<LatestJob<FormatPreview>> m_job;
    QComboBox* m_previewFile = nullptr; // owned by the page, like the widgets below
    QComboBox* m_format = nullptr;
    QComboBox* m_compression = nullptr;
    QComboBox* m_unit = nullptr;
    QComboBox* m_shape = nullptr;
    QLabel* m_detected = nullptr;
    QStandardItemModel* m_tableModel = nullptr;
    QTableView* m_table = nullptr;
    QTextBrowser* m_transcript = nullptr;
};

} // namespace rlhf::widgets
