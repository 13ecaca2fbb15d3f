// The studio's page for one dataset: documents per split and quarantined rows, histograms of
// document length in characters and in tokens (of a project tokenizer), the language mix and
// duplicates found by the last import (its stored report), and the quarantine as a searchable
// table whose rows can be restored. Every database read and write runs on a worker thread.
#pragma once

#include "core/data/dataset_stats.h"
#include "core/store/records.h"

#include <QWidget>

#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace rlhf::widgets {

class HistogramPlot;
class QuarantineModel;
template <typename Result> class LatestJob;

// What the page reads about a dataset besides its documents and quarantine.
struct DatasetSummary {
    store::Dataset dataset;
    int64_t train = 0, val = 0, test = 0;
    int64_t quarantined = 0;             // rows still in the quarantine
    int64_t restored = 0;                // rows restored from it
    std::vector<std::string> steps;      // quarantine steps present, for the filter
    std::vector<std::string> tokenizers; // of the project
    QString error;
};

struct DatasetStatsResult {
    data::DatasetStats stats;
    QString tokenizer; // the one the token histogram used, "" = none
    QString error;
};

struct QuarantinePage {
    std::vector<store::RejectedRow> rows; // the first matching rows
    int64_t matching = 0;                 // all matching rows
    QString error;
};

struct RestoreResult {
    int restored = 0;
    QStringList errors; // one per row that could not be restored
};

class DatasetPage : public QWidget {
    Q_OBJECT

public:
    static constexpr int kHistogramBins = 40;
    static constexpr int64_t kStatsSample = 20000;       // documents the histograms measure at most
    static constexpr int64_t kQuarantinePageRows = 1000; // rows the table shows at most

    explicit DatasetPage(QWidget* parent = nullptr);
    ~DatasetPage() override;

    // The project folder (holding project.sqlite) and the dataset to show; 0 shows nothing.
    void showDataset(const QString& projectPath, store::Id dataset);
    store::Id datasetId() const { return m_dataset; }
    // Re-reads everything of the shown dataset.
    void reload();

    const DatasetSummary& summary() const { return m_summary; }
    HistogramPlot* characterHistogram() const { return m_characters; }
    HistogramPlot* tokenHistogram() const { return m_tokens; }
    QuarantineModel* quarantine() const { return m_quarantine; }
    QTableView* quarantineView() const { return m_quarantineView; }
    bool busy() const;

public Q_SLOTS:
    // Restores the quarantine rows selected in the table into their splits.
    void restoreSelected();

Q_SIGNALS:
    void summaryLoaded();
    void statsLoaded();
    void quarantineLoaded();
    void restoreFinished(int restored);
    void documentsChanged(qint64 dataset); // after a restore added documents

protected:
    void showEvent(QShowEvent* event) override;

private:
    QWidget* buildSummary();
    QWidget* buildQuarantine();
    void loadStats();
    void searchQuarantine();
    void showSummary(const DatasetSummary& summary);
    void showStats(const DatasetStatsResult& result);
    void showQuarantine(const QuarantinePage& page);
    void showRestore(const RestoreResult& result);

    QString m_projectPath;
    store::Id m_dataset = 0;
    bool m_reloadWhenShown = false; // reload() was asked while hidden
    DatasetSummary m_summary;
    std::unique_ptr<LatestJob<DatasetSummary>> m_summaryJob;
    std::unique_ptr<LatestJob<DatasetStatsResult>> m_statsJob;
    std::unique_ptr<LatestJob<QuarantinePage>> m_quarantineJob;
    std::unique_ptr<LatestJob<RestoreResult>> m_restoreJob;
    QLabel* m_title = nullptr; // owned by the page, like the widgets below
    QLabel* m_counts = nullptr;
    QLabel* m_languages = nullptr;
    QLabel* m_duplicates = nullptr;
    QLabel* m_statsError = nullptr; // why the histograms could not be computed
    QComboBox* m_tokenizer = nullptr;
    HistogramPlot* m_characters = nullptr;
    HistogramPlot* m_tokens = nullptr;
    QLineEdit* m_search = nullptr;
    QComboBox* m_stepFilter = nullptr;
    QLabel* m_matching = nullptr;
    QPushButton* m_restore = nullptr;
    QTableView* m_quarantineView = nullptr;
    QuarantineModel* m_quarantine = nullptr;
    QTimer* m_searchDebounce = nullptr;
};

} // namespace rlhf::widgets
