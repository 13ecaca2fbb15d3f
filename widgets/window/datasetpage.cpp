#include "widgets/window/datasetpage.h"

#include "core/store/project.h"
#include "core/text/tokenizer.h"
#include "core/text/tokenizer_json.h"
#include "core/util/error.h"
#include "widgets/plots/histogramplot.h"
#include "widgets/window/latestjob.h"
#include "widgets/window/quarantinemodel.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QShowEvent>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <exception>
#include <optional>

namespace rlhf::widgets {

namespace {

constexpr int kSearchDebounceMs = 250; // typing pause before the quarantine is searched
const QString kAllSteps = QStringLiteral("all steps");
constexpr int kPathWidth = 420; // pixels of the title's source path before it is elided

store::Database openDatabase(const std::string& projectPath)
{
    return store::Database(store::ProjectPaths(projectPath).database(),
                           store::OpenMode::ExistingOnly);
}

DatasetSummary readSummary(const std::string& projectPath, store::Id id)
{
    DatasetSummary summary;
    try {
        const auto database = openDatabase(projectPath);
        const auto dataset = database.dataset(id);
        if (!dataset) throw Error("no dataset with id " + std::to_string(id));
        summary.dataset = *dataset;
        summary.train = database.documentCount(id, "train");
        summary.val = database.documentCount(id, "val");
        summary.test = database.documentCount(id, "test");
        store::RejectedFilter active;
        active.includeRestored = false;
        summary.quarantined = database.countRejected(id, active);
        summary.restored = database.countRejected(id, {}) - summary.quarantined;
        for (const auto& tokenizer : database.tokenizers())
            summary.tokenizers.push_back(tokenizer.name);
        for (const auto& [step, rows] : database.rejectedSteps(id))
            summary.steps.push_back(step);
    } catch (const std::exception& error) {
        summary.error = QString::fromUtf8(error.what());
    }
    return summary;
}

DatasetStatsResult readStats(const std::string& projectPath, store::Id id,
                             const QString& tokenizerName)
{
    DatasetStatsResult result;
    result.tokenizer = tokenizerName;
    try {
        const auto database = openDatabase(projectPath);
        std::optional<text::Tokenizer> tokenizer;
        if (!tokenizerName.isEmpty()) {
            const auto entry = database.tokenizer(tokenizerName.toStdString());
            if (!entry)
                throw Error("the project has no tokenizer '" + tokenizerName.toStdString() + "'");
            tokenizer =
                text::loadTokenizerJson(store::ProjectPaths(projectPath).absolute(entry->path));
        }
        result.stats =
            data::computeDatasetStats(database, id, tokenizer ? &*tokenizer : nullptr,
                                      DatasetPage::kHistogramBins, DatasetPage::kStatsSample);
    } catch (const std::exception& error) {
        result.error = QString::fromUtf8(error.what());
    }
    return result;
}

QuarantinePage readQuarantine(const std::string& projectPath, store::Id id,
                              const store::RejectedFilter& filter)
{
    QuarantinePage page;
    try {
        const auto database = openDatabase(projectPath);
        page.matching = database.countRejected(id, filter);
        page.rows = database.searchRejected(id, filter, 0, DatasetPage::kQuarantinePageRows);
    } catch (const std::exception& error) {
        page.error = QString::fromUtf8(error.what());
    }
    return page;
}

RestoreResult restoreRows(const std::string& projectPath, const std::vector<store::Id>& rows)
{
    RestoreResult result;
    try {
        auto database = openDatabase(projectPath);
        for (store::Id row : rows) {
            try {
                database.restoreRejected(row);
                ++result.restored;
            } catch (const std::exception& error) {
                result.errors << QString::fromUtf8(error.what());
            }
        }
    } catch (const std::exception& error) {
        result.errors << QString::fromUtf8(error.what());
    }
    return result;
}

// "en 92 %, de 6 %, fr 2 %" (no-break spaces inside each entry) and "exact 12, near 3" from the
// stored import report.
std::pair<QString, QString> reportLines(const std::string& reportJson)
{
    QStringList languages, duplicates;
    try {
        const auto report = nlohmann::json::parse(reportJson);
        std::vector<std::pair<std::string, int64_t>> counts;
        if (report.contains("languages")) {
            for (const auto& entry : report.at("languages")) {
                if (entry.is_array())
                    counts.emplace_back(entry.at(0).get<std::string>(), entry.at(1).get<int64_t>());
                else if (entry.is_object())
                    counts.emplace_back(entry.value("language", std::string()),
                                        entry.value("count", int64_t(0)));
            }
        }
        int64_t total = 0;
        for (const auto& [language, count] : counts)
            total += count;
        // No-break spaces inside an entry: the line wraps between languages, never in one.
        for (const auto& [language, count] : counts)
            languages << QStringLiteral("%1\u00A0%2\u00A0%")
                             .arg(QString::fromStdString(language))
                             .arg(total > 0 ? 100.0 * double(count) / double(total) : 0.0, 0, 'f',
                                  count * 1000 < total ? 1 : 0);
        if (report.contains("steps")) {
            for (const auto& step : report.at("steps")) {
                const auto name = step.value("step", std::string());
                const auto removed = step.value("removed", int64_t(0));
                if (name == "exact_dedup")
                    duplicates << QObject::tr("exact %1").arg(QLocale().toString(qint64(removed)));
                if (name == "near_dedup")
                    duplicates << QObject::tr("near %1").arg(QLocale().toString(qint64(removed)));
            }
        }
    } catch (const std::exception&) {
        // An older dataset without a report, or one from an older importer: nothing to show.
    }
    return {languages.isEmpty() ? QObject::tr("not measured") : languages.join(QLatin1String(", ")),
            duplicates.isEmpty() ? QObject::tr("no deduplication ran")
                                 : duplicates.join(QLatin1String(", "))};
}

} // namespace

DatasetPage::DatasetPage(QWidget* parent)
    : QWidget(parent), m_summaryJob(std::make_unique<LatestJob<DatasetSummary>>(
                           this, [this](const DatasetSummary& summary) { showSummary(summary); })),
      m_statsJob(std::make_unique<LatestJob<DatasetStatsResult>>(
          this, [this](const DatasetStatsResult& result) { showStats(result); })),
      m_quarantineJob(std::make_unique<LatestJob<QuarantinePage>>(
          this, [this](const QuarantinePage& page) { showQuarantine(page); })),
      m_restoreJob(std::make_unique<LatestJob<RestoreResult>>(
          this, [this](const RestoreResult& result) { showRestore(result); }))
{
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(buildSummary());
    splitter->addWidget(buildQuarantine());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);
    setEnabled(false);
}

DatasetPage::~DatasetPage() = default;

QWidget* DatasetPage::buildSummary()
{
    auto* pane = new QWidget(this);
    m_title = new QLabel(pane);
    m_title->setObjectName(QStringLiteral("datasetTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_counts = new QLabel(pane);
    m_counts->setObjectName(QStringLiteral("datasetCounts"));
    m_languages = new QLabel(pane);
    m_languages->setObjectName(QStringLiteral("languageMix"));
    m_duplicates = new QLabel(pane);
    m_duplicates->setObjectName(QStringLiteral("duplicates"));
    m_statsError = new QLabel(pane);
    m_statsError->setObjectName(QStringLiteral("statsError"));
    m_statsError->setStyleSheet(QStringLiteral("color: #b00020"));
    m_statsError->setTextFormat(Qt::PlainText);
    m_statsError->setVisible(false);
    // Text that grows with the data (a long source path, dozens of languages, an error) wraps
    // instead of widening the window.
    for (QLabel* label : {m_title, m_counts, m_languages, m_duplicates, m_statsError})
        label->setWordWrap(true);
    m_tokenizer = new QComboBox(pane);
    m_tokenizer->setObjectName(QStringLiteral("statsTokenizer"));
    m_tokenizer->setMinimumContentsLength(14);
    m_tokenizer->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_characters = new HistogramPlot(tr("Length"), tr("characters"), pane);
    m_characters->setObjectName(QStringLiteral("characterHistogram"));
    m_tokens = new HistogramPlot(tr("Tokens"), tr("tokens"), pane);
    m_tokens->setObjectName(QStringLiteral("tokenHistogram"));

    // Languages get a line of their own, the full width; duplicates and tokenizer share the next.
    auto* facts = new QGridLayout;
    facts->addWidget(new QLabel(tr("Languages:"), pane), 0, 0, Qt::AlignTop);
    facts->addWidget(m_languages, 0, 1, 1, 3);
    facts->addWidget(new QLabel(tr("Duplicates removed:"), pane), 1, 0);
    facts->addWidget(m_duplicates, 1, 1);
    facts->addWidget(new QLabel(tr("Tokenizer:"), pane), 1, 2);
    facts->addWidget(m_tokenizer, 1, 3);
    facts->setColumnStretch(1, 1);
    auto* plots = new QHBoxLayout;
    plots->addWidget(m_characters);
    plots->addWidget(m_tokens);
    auto* layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_counts);
    layout->addLayout(facts);
    layout->addWidget(m_statsError);
    layout->addLayout(plots, /*stretch=*/1);
    connect(m_tokenizer, &QComboBox::currentIndexChanged, this, &DatasetPage::loadStats);
    return pane;
}

QWidget* DatasetPage::buildQuarantine()
{
    auto* pane = new QWidget(this);
    m_search = new QLineEdit(pane);
    m_search->setObjectName(QStringLiteral("quarantineSearch"));
    m_search->setPlaceholderText(tr("Search reason, field, file or row…"));
    m_search->setClearButtonEnabled(true);
    m_stepFilter = new QComboBox(pane);
    m_stepFilter->setObjectName(QStringLiteral("quarantineStep"));
    m_matching = new QLabel(pane);
    m_matching->setObjectName(QStringLiteral("quarantineMatching"));
    m_matching->setWordWrap(true); // a restore error can be long
    m_restore = new QPushButton(tr("Restore selected"), pane);
    m_restore->setObjectName(QStringLiteral("restoreRows"));
    m_restore->setEnabled(false);
    m_quarantine = new QuarantineModel(this);
    m_quarantineView = new QTableView(pane);
    m_quarantineView->setObjectName(QStringLiteral("quarantineTable"));
    m_quarantineView->setModel(m_quarantine);
    m_quarantineView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_quarantineView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_quarantineView->verticalHeader()->hide();
    m_quarantineView->verticalHeader()->setDefaultSectionSize(
        m_quarantineView->fontMetrics().height() + 6);
    m_quarantineView->horizontalHeader()->setSectionResizeMode(QuarantineModel::Reason,
                                                               QHeaderView::Stretch);
    m_quarantineView->setWordWrap(false);

    auto* tools = new QHBoxLayout;
    tools->addWidget(new QLabel(tr("<b>Quarantine</b>"), pane));
    tools->addWidget(m_search, /*stretch=*/1);
    tools->addWidget(m_stepFilter);
    tools->addWidget(m_matching);
    tools->addWidget(m_restore);
    auto* layout = new QVBoxLayout(pane);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(tools);
    layout->addWidget(m_quarantineView, /*stretch=*/1);

    m_searchDebounce = new QTimer(this);
    m_searchDebounce->setSingleShot(true);
    m_searchDebounce->setInterval(kSearchDebounceMs);
    connect(m_searchDebounce, &QTimer::timeout, this, &DatasetPage::searchQuarantine);
    connect(m_search, &QLineEdit::textChanged, m_searchDebounce, qOverload<>(&QTimer::start));
    connect(m_stepFilter, &QComboBox::currentIndexChanged, this, &DatasetPage::searchQuarantine);
    connect(
        m_quarantineView->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
            m_restore->setEnabled(!m_quarantineView->selectionModel()->selectedRows().isEmpty());
        });
    connect(m_restore, &QPushButton::clicked, this, &DatasetPage::restoreSelected);
    return pane;
}

void DatasetPage::showDataset(const QString& projectPath, store::Id dataset)
{
    m_projectPath = projectPath;
    m_dataset = dataset;
    setEnabled(dataset != 0);
    m_quarantine->setRows({});
    if (dataset == 0) {
        m_title->clear();
        m_title->setToolTip(QString());
        m_counts->clear();
        m_characters->setMessage(tr("No dataset"));
        m_tokens->setMessage(tr("No dataset"));
        return;
    }
    reload();
}

void DatasetPage::reload()
{
    if (m_dataset == 0) return;
    if (!isVisible()) { // a hidden tab: read when shown, not on every project open or import
        m_reloadWhenShown = true;
        return;
    }
    m_reloadWhenShown = false;
    m_title->setText(tr("Reading…"));
    const std::string projectPath = m_projectPath.toStdString();
    const store::Id dataset = m_dataset;
    m_summaryJob->request([projectPath, dataset] { return readSummary(projectPath, dataset); });
}

void DatasetPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_reloadWhenShown) reload();
}

bool DatasetPage::busy() const
{
    return m_summaryJob->busy() || m_statsJob->busy() || m_quarantineJob->busy() ||
           m_restoreJob->busy() || m_searchDebounce->isActive();
}

void DatasetPage::showSummary(const DatasetSummary& summary)
{
    m_summary = summary;
    if (!summary.error.isEmpty()) {
        m_title->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                             .arg(summary.error.toHtmlEscaped()));
        Q_EMIT summaryLoaded();
        return;
    }
    const QLocale locale;
    const auto& dataset = summary.dataset;
    // A path is one word to word wrap: elided in the middle, whole in the tooltip.
    const QString source = QString::fromStdString(dataset.sourcePath);
    m_title->setText(tr("<b style='font-size:large'>%1</b> &nbsp; %2 dataset, from %3")
                         .arg(QString::fromStdString(dataset.name).toHtmlEscaped(),
                              QString::fromUtf8(store::datasetKindName(dataset.kind)),
                              m_title->fontMetrics()
                                  .elidedText(source, Qt::ElideMiddle, kPathWidth)
                                  .toHtmlEscaped()));
    m_title->setToolTip(source);
    m_counts->setText(
        tr("Documents: <b>%1</b> &nbsp; train %2 · validation %3 · test %4 "
           "&nbsp;&nbsp; Quarantined: <b>%5</b>%6")
            .arg(locale.toString(qint64(summary.train + summary.val + summary.test)),
                 locale.toString(qint64(summary.train)), locale.toString(qint64(summary.val)),
                 locale.toString(qint64(summary.test)),
                 locale.toString(qint64(summary.quarantined)),
                 summary.restored > 0
                     ? tr(" (%1 restored)").arg(locale.toString(qint64(summary.restored)))
                     : QString()));
    const auto [languages, duplicates] = reportLines(dataset.reportJson);
    m_languages->setText(languages);
    m_duplicates->setText(duplicates);

    {
        const QSignalBlocker blocker(m_tokenizer);
        const QString current = m_tokenizer->currentData().toString();
        m_tokenizer->clear();
        m_tokenizer->addItem(tr("(none)"), QString());
        for (const auto& name : summary.tokenizers)
            m_tokenizer->addItem(QString::fromStdString(name), QString::fromStdString(name));
        const int keep = m_tokenizer->findData(current);
        m_tokenizer->setCurrentIndex(keep > 0 ? keep : m_tokenizer->count() > 1 ? 1 : 0);
    }
    {
        const QSignalBlocker blocker(m_stepFilter);
        const QString current = m_stepFilter->currentText();
        m_stepFilter->clear();
        m_stepFilter->addItem(kAllSteps);
        for (const auto& step : summary.steps)
            m_stepFilter->addItem(QString::fromStdString(step));
        m_stepFilter->setCurrentIndex(qMax(0, m_stepFilter->findText(current)));
    }
    Q_EMIT summaryLoaded();
    loadStats();
    searchQuarantine();
}

void DatasetPage::loadStats()
{
    if (m_dataset == 0) return;
    const QString tokenizer = m_tokenizer->currentData().toString();
    m_characters->setMessage(tr("Computing…"));
    if (tokenizer.isEmpty())
        m_tokens->setMessage(tr("choose a tokenizer to count tokens"));
    else
        m_tokens->setMessage(tr("Computing…"));
    const std::string projectPath = m_projectPath.toStdString();
    const store::Id dataset = m_dataset;
    m_statsJob->request(
        [projectPath, dataset, tokenizer] { return readStats(projectPath, dataset, tokenizer); });
}

void DatasetPage::showStats(const DatasetStatsResult& result)
{
    // The error goes in a label of the page that wraps; the plots' captions stay one short line.
    m_statsError->setText(result.error);
    m_statsError->setVisible(!result.error.isEmpty());
    if (!result.error.isEmpty()) {
        m_characters->setMessage(tr("not measured (see above)"));
        m_tokens->setMessage(tr("not measured (see above)"));
    } else {
        m_characters->setHistogram(result.stats.characters, result.stats.total);
        if (!result.tokenizer.isEmpty())
            m_tokens->setHistogram(result.stats.tokens, result.stats.total);
    }
    Q_EMIT statsLoaded();
}

void DatasetPage::searchQuarantine()
{
    m_searchDebounce->stop();
    if (m_dataset == 0) return;
    store::RejectedFilter filter;
    filter.text = m_search->text().trimmed().toStdString();
    if (m_stepFilter->currentIndex() > 0) filter.step = m_stepFilter->currentText().toStdString();
    const std::string projectPath = m_projectPath.toStdString();
    const store::Id dataset = m_dataset;
    m_quarantineJob->request(
        [projectPath, dataset, filter] { return readQuarantine(projectPath, dataset, filter); });
}

void DatasetPage::showQuarantine(const QuarantinePage& page)
{
    m_quarantine->setRows(page.rows);
    m_restore->setEnabled(false);
    if (!page.error.isEmpty())
        m_matching->setText(page.error);
    else if (page.matching > int64_t(page.rows.size()))
        m_matching->setText(tr("first %1 of %2 rows")
                                .arg(QLocale().toString(qint64(page.rows.size())),
                                     QLocale().toString(qint64(page.matching))));
    else
        m_matching->setText(page.matching == 1
                                ? tr("1 row")
                                : tr("%1 rows").arg(QLocale().toString(qint64(page.matching))));
    Q_EMIT quarantineLoaded();
}

void DatasetPage::restoreSelected()
{
    std::vector<store::Id> rows;
    for (const QModelIndex& index : m_quarantineView->selectionModel()->selectedRows()) {
        const auto& row = m_quarantine->rejected(index.row());
        if (!row.restoredAs) rows.push_back(row.id);
    }
    if (rows.empty()) return;
    m_restore->setEnabled(false);
    const std::string projectPath = m_projectPath.toStdString();
    m_restoreJob->request([projectPath, rows] { return restoreRows(projectPath, rows); });
}

void DatasetPage::showRestore(const RestoreResult& result)
{
    if (!result.errors.isEmpty())
        m_matching->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                                .arg(result.errors.join(QLatin1String("; ")).toHtmlEscaped()));
    Q_EMIT restoreFinished(result.restored);
    if (result.restored > 0) {
        Q_EMIT documentsChanged(m_dataset);
        reload();
    }
}

} // namespace rlhf::widgets
