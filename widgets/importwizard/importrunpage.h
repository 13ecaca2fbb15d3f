// Last page of the ImportWizard: runs importDataset on a worker thread with a progress bar,
// live counts and cancel (the wizard's Cancel button), then shows the ImportReport.
#pragma once

#include "core/data/importer.h"

#include <QFutureWatcher>
#include <QWizardPage>

#include <atomic>
#include <memory>

class QLabel;
class QProgressBar;
class QTextBrowser;

namespace rlhf::widgets {

class ImportWizard;

struct ImportOutcome {
    data::ImportReport report;
    QString error; // what stopped the import, empty when it ran to the end or was cancelled
};

class ImportRunPage : public QWizardPage {
    Q_OBJECT

public:
    ImportRunPage(const ImportWizard* wizard, QWidget* parent = nullptr);
    ~ImportRunPage() override;

    bool isRunning() const { return m_running; }
    bool isDone() const { return m_done; }
    const ImportOutcome& outcome() const { return m_outcome; }
    // Asks the running import to stop after its current batch.
    void cancel();

    void initializePage() override;
    bool isComplete() const override;

Q_SIGNALS:
    void importFinished();

private:
    void showProgress(const data::ImportProgress& progress);
    void showOutcome(const ImportOutcome& outcome);

    const ImportWizard* m_wizard;                // owns this page
    std::shared_ptr<std::atomic<bool>> m_cancel; // shared with the worker
    QFutureWatcher<ImportOutcome> m_watcher;
    ImportOutcome m_outcome;
    bool m_running = false;
    bool m_done = false;
    QProgressBar* m_progress = nullptr; // owned by the page, like the widgets below
    QLabel* m_counts = nullptr;
    QTextBrowser* m_summary = nullptr;
};

} // namespace rlhf::widgets
