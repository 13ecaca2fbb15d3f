// Fourth page of the ImportWizard: the cleaning pipeline as a checkable, reorderable list of
// steps (drag to reorder), the selected step's settings, and live counts on a sample: each change
// reruns previewCleaning on the first records of the first file on a worker thread (debounced),
// showing per-step examined / changed / removed and removed examples with their reasons.
#pragma once

#include "core/data/importer.h"

#include <QWizardPage>

#include <map>
#include <memory>

class QLabel;
class QListWidget;
class QTableWidget;
class QTextBrowser;
class QTimer;

namespace rlhf::widgets {

class CleaningStepEditor;
class ImportWizard;
template <typename Result> class LatestJob;

// A cleaning preview, or why it could not run.
struct CleaningPreviewResult {
    data::CleaningPreview preview;
    QString file; // the sampled file's name
    QString error;
};

class ImportCleaningPage : public QWizardPage {
    Q_OBJECT

public:
    static constexpr size_t kSampleRecords = 2000; // records the live counts are computed on

    ImportCleaningPage(const ImportWizard* wizard, const QString& projectPath,
                       QWidget* parent = nullptr);
    ~ImportCleaningPage() override;

    // The checked steps in list order, with their settings.
    data::CleaningConfig config() const;
    QString tokenizer() const; // for token-length bounds; "" = none
    // Counts the live previews shown so far: tests wait for it to grow.
    int previewsShown() const { return m_previewsShown; }
    bool previewBusy() const;

    void initializePage() override;
    bool isComplete() const override;

Q_SIGNALS:
    void previewShown();

private:
    void buildStepList();
    void schedulePreview();
    void runPreview();
    void showPreview(const CleaningPreviewResult& result);
    void showSelectedStep();

    const ImportWizard* m_wizard; // owns this page
    QString m_projectPath;
    std::map<data::StepKind, data::StepConfig> m_configs; // settings of every step, checked or not
    std::unique_ptr<LatestJob<CleaningPreviewResult>> m_job;
    int m_previewsShown = 0;
    QString m_error;              // of the latest preview
    QTimer* m_debounce = nullptr; // owned by the page, like the widgets below
    QListWidget* m_steps = nullptr;
    CleaningStepEditor* m_editor = nullptr;
    QLabel* m_status = nullptr;
    QTableWidget* m_counts = nullptr;
    QTextBrowser* m_examples = nullptr;
};

} // namespace rlhf::widgets
