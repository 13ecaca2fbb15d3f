// DatasetPage and the studio's Data tab on a real project database holding an imported chat
// dataset (documents in three splits, a quarantine of a read problem, duplicates and a language
// rejection, the import report) and a tokenizer trained on it: counts, both histograms, language
// mix and duplicates, quarantine search and step filter, Restore; then File > Import Data…. A
// dataset of 13 languages, from a deep path, keeps the Data tab and the window under 1024 px.
#include "widgets/window/datasetpage.h"

#include "core/data/dataset_stats.h"
#include "core/data/importer.h"
#include "core/data/token_splits.h"
#include "core/store/project.h"
#include "widgets/importwizard/importwizard.h"
#include "widgets/plots/histogramplot.h"
#include "widgets/window/dataview.h"
#include "widgets/window/mainwindow.h"
#include "widgets/window/quarantinemodel.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using rlhf::widgets::DatasetPage;
using rlhf::widgets::DataView;
using rlhf::widgets::QuarantineModel;
namespace data = rlhf::data;
namespace store = rlhf::store;
namespace text = rlhf::text;

namespace {

constexpr int kDocuments = 20; // 16 train, 3 val, 1 test
constexpr int kWaitMs = 20000;

template <typename T> T* child(const QWidget& parent, const char* name)
{
    auto* widget = parent.findChild<T*>(QLatin1String(name));
    if (!widget) qFatal("no child widget '%s'", name);
    return widget;
}

std::string chatDocument(int i)
{
    data::Record record;
    record.kind = data::RecordKind::Chat;
    record.messages = {
        {"user", "Question " + std::to_string(i) + ": why is the sky blue?"},
        {"assistant", "Because air scatters short wavelengths" + std::string(size_t(i * 9), '.')}};
    return data::toDocumentText(record);
}

store::RejectedRow rejected(std::string step, int64_t line, std::string reason)
{
    store::RejectedRow row;
    row.step = std::move(step);
    row.sourceFile = "/data/chats.jsonl";
    row.sourceLine = line;
    row.reason = std::move(reason);
    return row;
}

// Project with dataset "dialogs" (as an import leaves it) and tokenizer "bpe". Returns its path.
QString makeProject(const QTemporaryDir& dir)
{
    const QString root = dir.filePath(QStringLiteral("project"));
    auto project = store::Project::create(root.toStdString());
    auto& database = project.database();
    const store::Id id =
        database.addDataset("dialogs", store::DatasetKind::Chat, "/data/chats.jsonl");
    std::vector<store::Document> documents;
    for (int i = 0; i < kDocuments; ++i)
        documents.push_back({.text = chatDocument(i),
                             .sourceFile = "/data/chats.jsonl",
                             .sourceLine = i + 1,
                             .split = i < 16   ? "train"
                                      : i < 19 ? "val"
                                               : "test"});
    std::vector<store::RejectedRow> rows;
    rows.push_back(rejected("read", 12, "invalid JSON: unclosed string"));
    rows.back().field = "conversations[0].value";
    rows.back().raw = "{\"conversations\": [{\"from\": \"human\", \"value\": \"BROKENROW";
    for (int duplicateOf : {3, 5}) {
        rows.push_back(rejected("exact_dedup", 30 + duplicateOf, "exact duplicate"));
        rows.back().duplicateOf = duplicateOf;
        rows.back().document = chatDocument(duplicateOf);
    }
    rows.push_back(rejected("language", 40, "language fr (0.97) not in [en]"));
    rows.back().document = chatDocument(100);
    rows.back().split = "val";
    database.addImportBatch(id, documents, rows);

    data::ImportReport report;
    report.dataset = id;
    report.kind = data::RecordKind::Chat;
    report.imported = kDocuments;
    report.languages = {{"en", 18}, {"fr", 2}};
    report.steps = {{"exact_dedup", 24, 0, 2}, {"near_dedup", 22, 0, 0}};
    database.setDatasetReport(id, report.toJson());

    text::TrainConfig config;
    config.vocabSize = 300;
    config.minFrequency = 1;
    data::trainProjectTokenizer(project, id, "bpe", config);
    return root;
}

// A project whose one dataset, "polyglot", comes from a long path and holds 13 languages, with
// a stored import report saying so. Returns its path.
QString makePolyglotProject(const QTemporaryDir& dir)
{
    const QString root = dir.filePath(QStringLiteral("polyglot"));
    auto project = store::Project::create(root.toStdString());
    auto& database = project.database();
    const std::string source = "/srv/corpora/multilingual/web-crawl-2024/shards/part-00017/"
                               "deduplicated/normalised/utf8/sentences.all-languages.jsonl";
    const store::Id id = database.addDataset("polyglot", store::DatasetKind::Text, source);
    std::vector<store::Document> documents;
    for (int i = 0; i < 13; ++i)
        documents.push_back({.text = "document " + std::to_string(i), .sourceFile = source});
    std::vector<store::RejectedRow> rows;
    rows.push_back(rejected("read", 3,
                            "binary data, not text (97% of the first 65536 bytes are "
                            "NUL, control characters or invalid UTF-8)"));
    database.addImportBatch(id, documents, rows);
    data::ImportReport report;
    report.dataset = id;
    report.imported = 13;
    for (const char* language :
         {"en", "de", "fr", "es", "it", "pt", "nl", "sv", "pl", "ru", "zh", "ja", "ko"})
        report.languages.emplace_back(language, 1000 + int64_t(report.languages.size()) * 37);
    database.setDatasetReport(id, report.toJson());
    return root;
}

void waitIdle(const DatasetPage& page)
{
    QTRY_VERIFY_WITH_TIMEOUT(!page.busy(), kWaitMs);
}

} // namespace

class TestDatasetPage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void histogramBinsCountEveryValue();
    void showsCountsHistogramsAndReport();
    void quarantineSearchFiltersAndRestoreMovesARowBack();
    void mainWindowHasDataTabAndImportShortcut();
    void thirteenLanguagesWrapInsteadOfWideningTheWindow();

private:
    QTemporaryDir m_dir;
    QString m_project;
};

void TestDatasetPage::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_project = makeProject(m_dir);
}

void TestDatasetPage::histogramBinsCountEveryValue()
{
    const std::vector<int64_t> values = {0, 1, 5, 9, 10, 10, 39};
    const auto histogram = data::makeHistogram(values, 4); // width 10: [0,10) [10,20) .. [30,40)
    QCOMPARE(histogram.edges, (std::vector<double>{0, 10, 20, 30, 40}));
    QCOMPARE(histogram.counts, (std::vector<int64_t>{4, 2, 0, 1}));
    QCOMPARE(histogram.total, int64_t(7));
    QCOMPARE(histogram.median, int64_t(9));
    QCOMPARE(histogram.maximum, int64_t(39));
    // Bins span the values and are at least one unit wide: 50..59 in 40 bins make ten bins.
    std::vector<int64_t> narrow;
    for (int64_t value = 50; value < 60; ++value)
        narrow.push_back(value);
    const auto tens = data::makeHistogram(narrow, 40);
    QCOMPARE(tens.counts, std::vector<int64_t>(10, 1));
    QCOMPARE(tens.edges.front(), 50.0);
    QCOMPARE(tens.edges.back(), 60.0);
    QCOMPARE(data::makeHistogram(std::vector<int64_t>{3, 3}, 40).counts, std::vector<int64_t>{2});
    QVERIFY(data::makeHistogram({}, 10).counts.empty());

    // A sample measures about the asked number of documents and knows the dataset's size.
    const store::Database database(store::ProjectPaths(m_project.toStdString()).database());
    const auto sampled =
        data::computeDatasetStats(database, database.datasetByName("dialogs")->id, nullptr, 40, 10);
    QCOMPARE(sampled.documents, int64_t(10));
    QCOMPARE(sampled.total, int64_t(kDocuments));
    QCOMPARE(sampled.characters.total, int64_t(10));
    QCOMPARE(data::codePointCount("héllo ✓"), int64_t(7));
}

void TestDatasetPage::showsCountsHistogramsAndReport()
{
    DataView view;
    view.resize(1280, 820);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setProject(m_project);
    QCOMPARE(view.datasetList()->count(), 1);
    QVERIFY(view.datasetList()->item(0)->text().contains(QStringLiteral("20 documents")));
    DatasetPage& page = *view.page();
    waitIdle(page);
    QVERIFY2(page.summary().error.isEmpty(), qPrintable(page.summary().error));

    QCOMPARE(page.summary().train, int64_t(16));
    QCOMPARE(page.summary().val, int64_t(3));
    QCOMPARE(page.summary().test, int64_t(1));
    QCOMPARE(page.summary().quarantined, int64_t(4));
    const QString counts = child<QLabel>(page, "datasetCounts")->text();
    QVERIFY2(counts.contains(QStringLiteral("train 16")) &&
                 counts.contains(QStringLiteral("validation 3")) &&
                 counts.contains(QStringLiteral("<b>4</b>")),
             qPrintable(counts));
    QCOMPARE(child<QLabel>(page, "languageMix")->text(),
             QStringLiteral("en\u00A090\u00A0%, fr\u00A010\u00A0%"));
    QCOMPARE(child<QLabel>(page, "duplicates")->text(), QStringLiteral("exact 2, near 0"));

    // One length per document; the longest, counted here in bytes of its ASCII joined text
    // (user turn, newline, assistant turn), is the histogram's maximum.
    QCOMPARE(page.characterHistogram()->countedValues(), int64_t(kDocuments));
    const size_t longest = std::string("Question 19: why is the sky blue?").size() + 1 +
                           std::string("Because air scatters short wavelengths").size() + 19 * 9;
    QVERIFY2(child<QLabel>(*page.characterHistogram(), "histogramCaption")
                 ->text()
                 .contains(QStringLiteral("max %1").arg(longest)),
             qPrintable(child<QLabel>(*page.characterHistogram(), "histogramCaption")->text()));
    QVERIFY(page.characterHistogram()->barCount() > 1);
    QCOMPARE(child<QComboBox>(page, "statsTokenizer")->currentText(), QStringLiteral("bpe"));
    QCOMPARE(page.tokenHistogram()->countedValues(), int64_t(kDocuments));
    QVERIFY(page.tokenHistogram()->barCount() > 1);

    QDir().mkpath(QStringLiteral(RLHF_BINARY_DIR "/screenshots"));
    QVERIFY(view.grab().save(QStringLiteral(RLHF_BINARY_DIR "/screenshots/dataset_page.png")));
}

void TestDatasetPage::quarantineSearchFiltersAndRestoreMovesARowBack()
{
    DatasetPage page;
    page.resize(1100, 760);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    auto database = store::Database(store::ProjectPaths(m_project.toStdString()).database());
    const store::Id id = database.datasetByName("dialogs")->id;
    const int64_t documentsBefore = database.documentCount(id);
    page.showDataset(m_project, id);
    waitIdle(page);
    QuarantineModel& model = *page.quarantine();
    QCOMPARE(model.rowCount(), 4);

    // Search: typed text matches the raw row; the step filter narrows to the duplicates.
    auto* search = child<QLineEdit>(page, "quarantineSearch");
    QTest::keyClicks(search, QStringLiteral("brokenrow"));
    waitIdle(page);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, QuarantineModel::Step).data().toString(), QStringLiteral("read"));
    QCOMPARE(model.index(0, QuarantineModel::Source).data().toString(),
             QStringLiteral("chats.jsonl:12"));
    search->clear();
    auto* step = child<QComboBox>(page, "quarantineStep");
    QVERIFY(step->findText(QStringLiteral("exact_dedup")) > 0);
    step->setCurrentIndex(step->findText(QStringLiteral("exact_dedup")));
    waitIdle(page);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.index(0, QuarantineModel::DuplicateOf).data().toString(),
             QStringLiteral("document 3"));

    // Restore the first duplicate: selected with a click, restored with the button.
    QTableView* table = page.quarantineView();
    auto* restore = child<QPushButton>(page, "restoreRows");
    QVERIFY(!restore->isEnabled());
    const QRect cell = table->visualRect(model.index(0, QuarantineModel::Reason));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
    QVERIFY(restore->isEnabled());
    QSignalSpy restored(&page, &DatasetPage::restoreFinished);
    QTest::mouseClick(restore, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(restored.count(), 1, kWaitMs);
    QCOMPARE(restored.front().front().toInt(), 1);
    waitIdle(page);
    QCOMPARE(database.documentCount(id), documentsBefore + 1);
    QCOMPARE(page.summary().quarantined, int64_t(3));
    QCOMPARE(page.summary().restored, int64_t(1));
    QCOMPARE(page.summary().train, int64_t(17));
    QVERIFY(!model.index(0, QuarantineModel::Restored).data().toString().isEmpty());
    QCOMPARE(page.characterHistogram()->countedValues(), documentsBefore + 1);

    // A read problem has no document to restore: it stays, with the reason shown.
    step->setCurrentIndex(step->findText(QStringLiteral("read")));
    waitIdle(page);
    QCOMPARE(model.rowCount(), 1);
    table->selectRow(0);
    QTest::mouseClick(restore, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(restored.count(), 2, kWaitMs);
    QCOMPARE(restored.back().front().toInt(), 0);
    QVERIFY(child<QLabel>(page, "quarantineMatching")->text().contains(QStringLiteral("import")));
    QCOMPARE(database.documentCount(id), documentsBefore + 1);
}

void TestDatasetPage::mainWindowHasDataTabAndImportShortcut()
{
    rlhf::widgets::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QVERIFY(window.openProject(m_project));
    auto* tabs = child<QTabWidget>(window, "mainTabs");
    QCOMPARE(tabs->tabText(1), QStringLiteral("Data"));
    QCOMPARE(child<QListWidget>(window, "datasetList")->count(), 1);
    // The Data tab reads its dataset when it is first shown, not when the project opens.
    auto* page = child<DatasetPage>(window, "datasetPage");
    QCOMPARE(page->summary().train, int64_t(0));
    tabs->setCurrentIndex(1);
    const store::Database database(store::ProjectPaths(m_project.toStdString()).database());
    const int64_t train =
        database.documentCount(database.datasetByName("dialogs")->id, "train"); // 17: one restored
    QTRY_COMPARE_WITH_TIMEOUT(page->summary().train, train, kWaitMs);
    waitIdle(*page);

    // Ctrl+I opens the import wizard on this project; closing it imports nothing.
    QString wizardProject;
    QTimer::singleShot(0, this, [&] {
        auto* wizard =
            qobject_cast<rlhf::widgets::ImportWizard*>(QApplication::activeModalWidget());
        if (!wizard) return;
        wizardProject = wizard->projectPath();
        wizard->reject();
    });
    QTest::keyClick(&window, Qt::Key_I, Qt::ControlModifier);
    QCOMPARE(wizardProject, QDir(m_project).absolutePath());
}

void TestDatasetPage::thirteenLanguagesWrapInsteadOfWideningTheWindow()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makePolyglotProject(dir);
    constexpr int kMostWidth = 1024; // what a laptop screen leaves a window

    DataView view;
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setProject(project);
    waitIdle(*view.page());
    QVERIFY2(view.page()->summary().error.isEmpty(), qPrintable(view.page()->summary().error));
    const QString languages = child<QLabel>(*view.page(), "languageMix")->text();
    QVERIFY2(languages.startsWith(QStringLiteral("en\u00A0")) &&
                 languages.contains(QStringLiteral(", ko\u00A0")),
             qPrintable(languages));
    qInfo("Data tab: minimum width %d px, preferred %d px", view.minimumSizeHint().width(),
          view.sizeHint().width());
    QVERIFY2(view.minimumSizeHint().width() < kMostWidth,
             qPrintable(QString::number(view.minimumSizeHint().width())));
    QVERIFY2(view.sizeHint().width() < kMostWidth,
             qPrintable(QString::number(view.sizeHint().width())));
    // The source path is elided in the title, whole in its tooltip.
    const auto* title = child<QLabel>(*view.page(), "datasetTitle");
    QVERIFY(title->toolTip().endsWith(QStringLiteral("sentences.all-languages.jsonl")));
    // Every label still shows all of its text: the wrapped ones grow downwards.
    view.resize(900, 700);
    QTRY_COMPARE(view.width(), 900);
    QVERIFY(view.grab().save(QStringLiteral(RLHF_BINARY_DIR "/screenshots/dataset_page_13.png")));
    for (const QLabel* label : view.page()->findChildren<QLabel*>()) {
        if (!label->isVisible() || label->text().isEmpty()) continue;
        QVERIFY2(label->width() >= label->minimumSizeHint().width(),
                 qPrintable(label->objectName() + QStringLiteral(": ") + label->text()));
    }

    // The main window on that project, Data tab shown, stays as narrow as it was asked to be.
    rlhf::widgets::MainWindow window;
    window.resize(960, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openProject(project));
    child<QTabWidget>(window, "mainTabs")->setCurrentIndex(1);
    auto* page = child<DatasetPage>(window, "datasetPage");
    QTRY_VERIFY_WITH_TIMEOUT(page->summary().dataset.name == "polyglot", kWaitMs);
    waitIdle(*page);
    QCoreApplication::processEvents();
    qInfo("main window: minimum width %d px, width %d px", window.minimumSizeHint().width(),
          window.width());
    QVERIFY2(window.minimumSizeHint().width() < kMostWidth,
             qPrintable(QString::number(window.minimumSizeHint().width())));
    QVERIFY2(window.width() < kMostWidth, qPrintable(QString::number(window.width())));
}

QTEST_MAIN(TestDatasetPage)
#include "test_dataset_page.moc"
