// ImportWizard on a real project folder, driven like a user with QTest: files dropped on the
// first page, the dataset name typed, Next through format (preview and transcript), mapping,
// cleaning (a setting changed, the live counts awaited), split and the import; then the database
// is checked: documents and their splits, and the quarantine with each row's file:line. Empty
// and binary files are refused on the first page, named with the reason.
#include "widgets/importwizard/importwizard.h"

#include "core/data/importer.h"
#include "core/store/project.h"
#include "tests/support/import_fixtures.h"
#include "widgets/importwizard/importcleaningpage.h"
#include "widgets/importwizard/importfilespage.h"
#include "widgets/importwizard/importformatpage.h"
#include "widgets/importwizard/importrunpage.h"

#include <QAbstractButton>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QDropEvent>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMimeData>
#include <QProcess>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QUrl>

#include <algorithm>
#include <random>

using rlhf::widgets::ImportCleaningPage;
using rlhf::widgets::ImportFilesPage;
using rlhf::widgets::ImportFormatPage;
using rlhf::widgets::ImportWizard;
namespace data = rlhf::data;
namespace store = rlhf::store;

namespace {

constexpr int kImportTimeoutMs = 60000;

template <typename T> T* child(const QWidget& parent, const char* name)
{
    auto* widget = parent.findChild<T*>(QLatin1String(name));
    if (!widget) qFatal("no child widget '%s'", name);
    return widget;
}

QString makeProject(const QTemporaryDir& dir)
{
    const QString root = dir.filePath(QStringLiteral("project"));
    store::Project::create(root.toStdString());
    return root;
}

// Drops `files` on the wizard's current page, as a file manager would.
void dropFiles(QWidget* page, const QStringList& files)
{
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString& file : files)
        urls << QUrl::fromLocalFile(file);
    mime.setUrls(urls);
    const QPointF where(page->width() / 2.0, page->height() / 2.0);
    QDragEnterEvent enter(where.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(page, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(where, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(page, &drop);
}

void clickNext(QWizard& wizard)
{
    QAbstractButton* next = wizard.button(QWizard::NextButton);
    if (!next->isVisible()) next = wizard.button(QWizard::CommitButton);
    QVERIFY2(next->isEnabled(), qPrintable(wizard.currentPage()->title()));
    QTest::mouseClick(next, Qt::LeftButton);
}

// The counts table row of step `title` as {examined, changed, removed}; empty when absent.
QList<qint64> stepCounts(const QTableWidget& table, const QString& title)
{
    for (int row = 0; row < table.rowCount(); ++row) {
        if (table.item(row, 0)->text() != title) continue;
        QList<qint64> counts;
        for (int column = 1; column <= 3; ++column)
            counts << QLocale().toLongLong(table.item(row, column)->text());
        return counts;
    }
    return {};
}

QListWidgetItem* stepItem(const QListWidget& list, const QString& title)
{
    const auto found = list.findItems(title, Qt::MatchExactly);
    return found.isEmpty() ? nullptr : found.front();
}

// `path`.gz beside `path`, as `gzip -k` writes it; returns its path.
QString gzipped(const QString& path)
{
    if (QProcess::execute(QStringLiteral("gzip"), {QStringLiteral("-k"), QStringLiteral("-n"),
                                                   QStringLiteral("-f"), path}) != 0)
        qFatal("gzip failed on %s", qPrintable(path));
    return path + QStringLiteral(".gz");
}

// A PNG of seeded noise: an image file that is anything but text.
QString writeNoisePng(const QDir& folder)
{
    QImage image(96, 96, QImage::Format_RGB32);
    std::mt19937 random(7);
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            image.setPixel(x, y, QRgb(random()));
    const QString path = folder.filePath(QStringLiteral("noise.png"));
    if (!image.save(path)) qFatal("cannot write %s", qPrintable(path));
    return path;
}

void saveScreenshot(QWidget& widget, const QString& name)
{
    const QString folder = QStringLiteral(RLHF_BINARY_DIR "/screenshots");
    QDir().mkpath(folder);
    QVERIFY(widget.grab().save(folder + QLatin1Char('/') + name));
}

} // namespace

class TestImportWizard : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void importsShareGptThroughEveryPage();
    void csvMappingMustNameExistingFields();
    void savedRecipeReadsBackAndCommandNamesIt();
    void cancelStopsTheImportAndKeepsWhatWasStored();
    void emptyAndBinaryFilesAreRefusedOnTheFilesPage();
};

void TestImportWizard::importsShareGptThroughEveryPage()
{
    QTemporaryDir dir;
    const QString projectPath = makeProject(dir);
    const auto chats = fixtures::writeShareGpt(QDir(dir.path()));

    ImportWizard wizard(projectPath);
    wizard.show();
    QVERIFY(QTest::qWaitForWindowExposed(&wizard));

    // Files: dropped, then a name typed over the suggested one.
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    dropFiles(wizard.currentPage(), {chats.path});
    QCOMPARE(child<QListWidget>(wizard, "files")->count(), 1);
    auto* name = child<QComboBox>(wizard, "datasetName");
    name->lineEdit()->selectAll();
    QTest::keyClicks(name->lineEdit(), QStringLiteral("dialogs"));
    QVERIFY(child<QLabel>(wizard, "datasetInfo")->text().contains(QStringLiteral("new dataset")));
    clickNext(wizard);

    // Format: detected as ShareGPT JSONL, the first records rendered as a transcript.
    QCOMPARE(wizard.currentId(), int(ImportWizard::FormatPage));
    auto* format = qobject_cast<ImportFormatPage*>(wizard.currentPage());
    QTRY_VERIFY_WITH_TIMEOUT(format->isComplete(), 10000);
    QCOMPARE(format->detection().format, data::FileFormat::Jsonl);
    QCOMPARE(format->detection().shape, data::RecordShape::ShareGpt);
    const QString transcript = child<QTextBrowser>(wizard, "transcript")->toPlainText();
    QVERIFY2(transcript.contains(QStringLiteral("Question 0: how does a river")),
             qPrintable(transcript));
    QVERIFY(transcript.contains(QStringLiteral("assistant")));
    QVERIFY(child<QTableView>(wizard, "previewTable")->model()->rowCount() >= 10);
    saveScreenshot(wizard, QStringLiteral("import_wizard_format.png"));
    clickNext(wizard);

    // Mapping: the ShareGPT field is found under its own name.
    QCOMPARE(wizard.currentId(), int(ImportWizard::MappingPage));
    QCOMPARE(child<QComboBox>(wizard, "map_conversations")->currentText(),
             QStringLiteral("conversations"));
    clickNext(wizard);

    // Cleaning: the default steps' live counts find the duplicates; a length minimum, turned on
    // and set like a user would, removes the short dialogue on the next preview.
    QCOMPARE(wizard.currentId(), int(ImportWizard::CleaningPage));
    auto* cleaning = qobject_cast<ImportCleaningPage*>(wizard.currentPage());
    QTRY_VERIFY_WITH_TIMEOUT(cleaning->previewsShown() >= 1 && !cleaning->previewBusy(), 20000);
    auto* counts = child<QTableWidget>(wizard, "stepCounts");
    QCOMPARE(stepCounts(*counts, QStringLiteral("Exact deduplication")).value(2),
             qint64(chats.duplicates));
    QVERIFY(stepCounts(*counts, QStringLiteral("Length bounds")).isEmpty());

    auto* steps = child<QListWidget>(wizard, "cleaningSteps");
    QListWidgetItem* length = stepItem(*steps, QStringLiteral("Length bounds"));
    QVERIFY(length);
    const QRect lengthRect = steps->visualItemRect(length);
    QTest::mouseClick(steps->viewport(), Qt::LeftButton, {}, lengthRect.center());
    QCOMPARE(steps->currentItem(), length);
    QTest::keyClick(steps, Qt::Key_Space); // ticks the current step
    QCOMPARE(length->checkState(), Qt::Checked);
    const int shownBefore = cleaning->previewsShown();
    auto* minChars = child<QSpinBox>(wizard, "minChars");
    minChars->setFocus();
    minChars->selectAll();
    QTest::keyClicks(minChars, QStringLiteral("20"));
    QCOMPARE(minChars->value(), 20);
    QTRY_VERIFY_WITH_TIMEOUT(cleaning->previewsShown() > shownBefore && !cleaning->previewBusy(),
                             20000);
    QCOMPARE(stepCounts(*counts, QStringLiteral("Length bounds")).value(2), qint64(1));
    const QString examples = child<QTextBrowser>(wizard, "removedExamples")->toPlainText();
    QVERIFY2(examples.contains(QStringLiteral("chats.jsonl:%1").arg(chats.shortLine)),
             qPrintable(examples));
    QVERIFY2(examples.contains(QStringLiteral("chats.jsonl:%1").arg(chats.malformedLine)),
             qPrintable(examples));
    saveScreenshot(wizard, QStringLiteral("import_wizard_cleaning.png"));
    clickNext(wizard);

    // Split: a fifth held out for validation; Import starts the import.
    QCOMPARE(wizard.currentId(), int(ImportWizard::SplitPage));
    auto* val = child<QDoubleSpinBox>(wizard, "valPercent");
    val->setFocus();
    val->selectAll();
    QTest::keyClicks(val, QStringLiteral("20"));
    QCOMPARE(val->value(), 20.0);
    clickNext(wizard);

    QCOMPARE(wizard.currentId(), int(ImportWizard::RunPage));
    QTRY_VERIFY_WITH_TIMEOUT(wizard.runPage()->isDone(), kImportTimeoutMs);
    const auto& outcome = wizard.runPage()->outcome();
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QVERIFY(child<QTextBrowser>(wizard, "importSummary")
                ->toPlainText()
                .contains(QStringLiteral("%1 documents imported").arg(chats.uniqueDialogues)));
    saveScreenshot(wizard, QStringLiteral("import_wizard_summary.png"));
    QVERIFY(wizard.button(QWizard::FinishButton)->isEnabled());
    QTest::mouseClick(wizard.button(QWizard::FinishButton), Qt::LeftButton);
    QCOMPARE(wizard.result(), int(QDialog::Accepted));

    // The database: documents in both splits, and every quarantined row with its file:line.
    auto project = store::Project::open(projectPath.toStdString());
    auto& database = project.database();
    const auto dataset = database.datasetByName("dialogs");
    QVERIFY(dataset);
    QCOMPARE(dataset->kind, store::DatasetKind::Chat);
    QCOMPARE(database.documentCount(dataset->id), int64_t(chats.uniqueDialogues));
    const int64_t train = database.documentCount(dataset->id, "train");
    const int64_t validation = database.documentCount(dataset->id, "val");
    QCOMPARE(train + validation, int64_t(chats.uniqueDialogues));
    QVERIFY2(validation > 0 && train > validation, qPrintable(QString::number(validation)));
    const auto rejected = database.rejectedRows(dataset->id);
    QCOMPARE(int(rejected.size()), chats.duplicates + 2);
    auto at = [&](int64_t line) {
        return std::find_if(rejected.begin(), rejected.end(),
                            [&](const store::RejectedRow& row) { return row.sourceLine == line; });
    };
    QVERIFY(at(chats.malformedLine) != rejected.end());
    QCOMPARE(at(chats.malformedLine)->step, std::string("read"));
    QVERIFY(QString::fromStdString(at(chats.malformedLine)->sourceFile).endsWith("chats.jsonl"));
    QCOMPARE(at(chats.shortLine)->step, std::string("length"));
    for (int64_t line : chats.duplicateLines) {
        QVERIFY(at(line) != rejected.end());
        QCOMPARE(at(line)->step, std::string("exact_dedup"));
        QVERIFY(at(line)->duplicateOf.has_value());
        QVERIFY(at(line)->document.has_value());
    }

    // The CLI twin: the saved recipe, run headless by `rlhf import`, makes the same dataset.
    const QString recipePath = QDir(dir.path()).filePath(QStringLiteral("dialogs.json"));
    QString error;
    QVERIFY2(wizard.saveRecipe(recipePath, &error), qPrintable(error));
    QProcess cli;
    cli.start(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"),
              {QStringLiteral("import"), QStringLiteral("-p"), projectPath,
               QStringLiteral("--recipe"), recipePath, QStringLiteral("-n"),
               QStringLiteral("dialogs-cli")});
    QVERIFY(cli.waitForFinished(kImportTimeoutMs));
    QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
    const auto twin = database.datasetByName("dialogs-cli");
    QVERIFY(twin);
    const auto wizardDocuments = database.documents(dataset->id, 0, 1000);
    const auto cliDocuments = database.documents(twin->id, 0, 1000);
    QCOMPARE(cliDocuments.size(), wizardDocuments.size());
    for (size_t i = 0; i < cliDocuments.size(); ++i) {
        QCOMPARE(cliDocuments[i].text, wizardDocuments[i].text);
        QCOMPARE(cliDocuments[i].split, wizardDocuments[i].split);
        QCOMPARE(cliDocuments[i].sourceLine, wizardDocuments[i].sourceLine);
    }
    QCOMPARE(database.rejectedCount(twin->id), database.rejectedCount(dataset->id));
}

void TestImportWizard::csvMappingMustNameExistingFields()
{
    QTemporaryDir dir;
    const QString projectPath = makeProject(dir);
    const QString csv = fixtures::writeCsv(QDir(dir.path()));

    ImportWizard wizard(projectPath);
    wizard.show();
    QVERIFY(QTest::qWaitForWindowExposed(&wizard));
    dropFiles(wizard.currentPage(), {csv});
    QCOMPARE(child<QComboBox>(wizard, "datasetName")->currentText(), QStringLiteral("notes"));
    clickNext(wizard);

    auto* format = qobject_cast<ImportFormatPage*>(wizard.currentPage());
    QTRY_VERIFY_WITH_TIMEOUT(format->isComplete(), 10000);
    QCOMPARE(format->detection().format, data::FileFormat::Csv);
    QCOMPARE(child<QTableView>(wizard, "previewTable")->model()->rowCount(), 6);
    // The rows are plain notes: say so, overriding the detected shape.
    auto* shape = child<QComboBox>(wizard, "shape");
    shape->setCurrentIndex(shape->findText(QStringLiteral("text")));
    QTRY_VERIFY_WITH_TIMEOUT(format->isComplete(), 10000);
    clickNext(wizard);

    // "text" is not a column: no choice yet, a message, and Next disabled until "body".
    QCOMPARE(wizard.currentId(), int(ImportWizard::MappingPage));
    auto* text = child<QComboBox>(wizard, "map_text");
    QCOMPARE(text->currentIndex(), -1);
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    QVERIFY(child<QLabel>(wizard, "mappingMessage")->text().contains(QStringLiteral("\"text\"")));
    text->setCurrentText(QStringLiteral("body"));
    QVERIFY(child<QLabel>(wizard, "sample_text")->text().contains(QStringLiteral("first note")));
    QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
    QVERIFY(child<QLabel>(wizard, "mappingMessage")->text().isEmpty());
    saveScreenshot(wizard, QStringLiteral("import_wizard_mapping.png"));
    QCOMPARE(wizard.recipe().read.mapping.at("text"), std::string("body"));
    clickNext(wizard);

    auto* cleaning = qobject_cast<ImportCleaningPage*>(wizard.currentPage());
    QTRY_VERIFY_WITH_TIMEOUT(cleaning->previewsShown() >= 1 && !cleaning->previewBusy(), 20000);
    QCOMPARE(stepCounts(*child<QTableWidget>(wizard, "stepCounts"),
                        QStringLiteral("Exact deduplication"))
                 .value(0),
             qint64(6));
    clickNext(wizard);
    clickNext(wizard); // Import
    QTRY_VERIFY_WITH_TIMEOUT(wizard.runPage()->isDone(), kImportTimeoutMs);
    QVERIFY2(wizard.runPage()->outcome().error.isEmpty(),
             qPrintable(wizard.runPage()->outcome().error));

    auto project = store::Project::open(projectPath.toStdString());
    const auto dataset = project.database().datasetByName("notes");
    QVERIFY(dataset);
    QCOMPARE(dataset->kind, store::DatasetKind::Text);
    const auto documents = project.database().documents(dataset->id, 0, 10);
    QCOMPARE(int(documents.size()), 6);
    QCOMPARE(documents[1].text, std::string("A quoted note, with a comma\nand a second line."));
    QCOMPARE(documents[2].sourceLine, int64_t(5)); // row 3 starts after the two-line row

    // Chats cannot join the text dataset: the format page says why and keeps Next disabled.
    const auto chats = fixtures::writeShareGpt(QDir(dir.path()));
    ImportWizard second(projectPath);
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    dropFiles(second.currentPage(), {chats.path});
    auto* name = child<QComboBox>(second, "datasetName");
    name->lineEdit()->selectAll();
    QTest::keyClicks(name->lineEdit(), QStringLiteral("notes"));
    QVERIFY(child<QLabel>(second, "datasetInfo")->text().contains(QStringLiteral("existing text")));
    clickNext(second);
    auto* secondFormat = qobject_cast<ImportFormatPage*>(second.currentPage());
    QTRY_VERIFY_WITH_TIMEOUT(!secondFormat->previewBusy(), 10000);
    QVERIFY(!second.button(QWizard::NextButton)->isEnabled());
    const QString detected = child<QLabel>(second, "detected")->text();
    QVERIFY2(detected.contains(QStringLiteral("holds text documents; these files hold chat")),
             qPrintable(detected));
}

void TestImportWizard::savedRecipeReadsBackAndCommandNamesIt()
{
    QTemporaryDir dir;
    const QString projectPath = makeProject(dir);
    const auto chats = fixtures::writeShareGpt(QDir(dir.path()));

    ImportWizard wizard(projectPath);
    wizard.show();
    QVERIFY(QTest::qWaitForWindowExposed(&wizard));
    dropFiles(wizard.currentPage(), {chats.path});
    clickNext(wizard);
    auto* format = qobject_cast<ImportFormatPage*>(wizard.currentPage());
    QTRY_VERIFY_WITH_TIMEOUT(format->isComplete(), 10000);
    clickNext(wizard);
    clickNext(wizard);
    QCOMPARE(wizard.currentId(), int(ImportWizard::CleaningPage));
    auto* steps = child<QListWidget>(wizard, "cleaningSteps");
    stepItem(*steps, QStringLiteral("Near-duplicate removal"))->setCheckState(Qt::Checked);
    // Reordering the list reorders the pipeline: exact dedup moved to the top runs first.
    const int exactRow = steps->row(stepItem(*steps, QStringLiteral("Exact deduplication")));
    QVERIFY(steps->model()->moveRow({}, exactRow, {}, 0));
    QCOMPARE(wizard.recipe().cleaning.steps.front().kind, data::StepKind::ExactDedup);

    // Copy as command: writes the recipe into the project and puts the command on the clipboard.
    QAbstractButton* copy = wizard.button(QWizard::CustomButton2);
    QVERIFY(copy->isVisible());
    QTest::mouseClick(copy, Qt::LeftButton);
    const QString recipePath = QDir(projectPath).filePath(QStringLiteral("recipes/chats.json"));
    QCOMPARE(wizard.recipePath(), recipePath);
    QCOMPARE(QGuiApplication::clipboard()->text(), wizard.command(recipePath));
    QVERIFY(wizard.command(recipePath).startsWith(QStringLiteral("rlhf import -p '")));

    QFile file(recipePath);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const auto recipe = data::ImportRecipe::fromJson(file.readAll().toStdString());
    const auto expected = wizard.recipe();
    QCOMPARE(recipe.dataset, std::string("chats"));
    QCOMPARE(recipe.files, expected.files);
    QCOMPARE(recipe.cleaning.steps.size(), expected.cleaning.steps.size());
    QCOMPARE(recipe.cleaning.steps.back().kind, data::StepKind::NearDedup);
    QCOMPARE(recipe.cleaning.toJson(), expected.cleaning.toJson());
    QCOMPARE(recipe.split.valFraction, expected.split.valFraction);
}

void TestImportWizard::cancelStopsTheImportAndKeepsWhatWasStored()
{
    QTemporaryDir dir;
    const QString projectPath = makeProject(dir);
    constexpr int dialogues = 60000; // about 20 MB: seconds to import, cancelled well before
    const QString big = fixtures::writeBigShareGpt(QDir(dir.path()), dialogues);

    ImportWizard wizard(projectPath);
    wizard.show();
    QVERIFY(QTest::qWaitForWindowExposed(&wizard));
    dropFiles(wizard.currentPage(), {big});
    clickNext(wizard);
    auto* format = qobject_cast<ImportFormatPage*>(wizard.currentPage());
    QTRY_VERIFY_WITH_TIMEOUT(format->isComplete(), 10000);
    clickNext(wizard); // mapping
    clickNext(wizard); // cleaning
    auto* cleaning = qobject_cast<ImportCleaningPage*>(wizard.currentPage());
    QTRY_VERIFY_WITH_TIMEOUT(cleaning->previewsShown() >= 1 && !cleaning->previewBusy(), 20000);
    clickNext(wizard); // split
    clickNext(wizard); // Import

    // Cancel while importing stops the import but keeps the wizard open with the outcome.
    QVERIFY(wizard.runPage()->isRunning());
    QTest::mouseClick(wizard.button(QWizard::CancelButton), Qt::LeftButton);
    QVERIFY(wizard.isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(wizard.runPage()->isDone(), kImportTimeoutMs);
    const auto& outcome = wizard.runPage()->outcome();
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QVERIFY(outcome.report.cancelled);
    QVERIFY2(outcome.report.imported < dialogues,
             qPrintable(QString::number(outcome.report.imported)));
    qInfo("cancelled after %lld of %d dialogues", static_cast<long long>(outcome.report.imported),
          dialogues);
    QCOMPARE(child<QLabel>(wizard, "importCounts")->text(), QStringLiteral("Cancelled."));
    QVERIFY(wizard.button(QWizard::FinishButton)->isEnabled());

    auto project = store::Project::open(projectPath.toStdString());
    const auto dataset = project.database().datasetByName("big");
    QVERIFY(dataset);
    QCOMPARE(project.database().documentCount(dataset->id), outcome.report.imported);
}

void TestImportWizard::emptyAndBinaryFilesAreRefusedOnTheFilesPage()
{
    QTemporaryDir dir;
    const QString projectPath = makeProject(dir);
    const QDir folder(dir.path());
    const QString empty = folder.filePath(QStringLiteral("empty.txt"));
    QVERIFY(QFile(empty).open(QIODevice::WriteOnly));
    const QString emptyGz = gzipped(empty); // not 0 bytes on disk, nothing once decompressed
    const QString png = writeNoisePng(folder);
    const QString pngGz = gzipped(png);
    const QString executable = QCoreApplication::applicationFilePath();    // an ELF file
    const QString chatsGz = gzipped(fixtures::writeShareGpt(folder).path); // text once decompressed

    ImportWizard wizard(projectPath);
    wizard.show();
    QVERIFY(QTest::qWaitForWindowExposed(&wizard));
    auto* page = qobject_cast<ImportFilesPage*>(wizard.currentPage());
    auto* refused = child<QLabel>(wizard, "refusedFiles");
    QVERIFY(refused->isHidden());

    // Only bad files: none is listed, each is named with its reason, and Next stays disabled.
    dropFiles(page, {empty, emptyGz, png, pngGz, executable});
    QCOMPARE(child<QListWidget>(wizard, "files")->count(), 0);
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    QVERIFY(refused->isVisible());
    const QString text = refused->text();
    QVERIFY2(text.startsWith(QStringLiteral("Not added (only text can be imported):\n")),
             qPrintable(text));
    QVERIFY2(text.contains(empty + QStringLiteral(": empty (0 bytes), nothing to import")),
             qPrintable(text));
    QVERIFY2(text.contains(emptyGz + QStringLiteral(": empty once decompressed")),
             qPrintable(text));
    for (const QString& binary : {png, pngGz, executable})
        QVERIFY2(text.contains(binary + QStringLiteral(": binary data, not text (")),
                 qPrintable(text));
    QCOMPARE(text.count(QLatin1Char('\n')), 5); // the heading, then one line per file
    saveScreenshot(wizard, QStringLiteral("import_wizard_refused.png"));

    // A compressed text file is judged on its decompressed bytes: listed, and the message goes.
    dropFiles(page, {chatsGz, png});
    QCOMPARE(page->files(), QStringList{chatsGz});
    QVERIFY2(!refused->text().contains(chatsGz) && refused->text().contains(png),
             qPrintable(refused->text()));
    dropFiles(page, {chatsGz});
    QVERIFY(refused->isHidden());

    // A listed file emptied before Next is caught by Next: the page stays, the file goes.
    QVERIFY(QFile::resize(chatsGz, 0));
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    QCOMPARE(wizard.currentId(), int(ImportWizard::FilesPage));
    QVERIFY(page->files().isEmpty());
    QVERIFY2(refused->text().contains(chatsGz + QStringLiteral(": empty (0 bytes)")),
             qPrintable(refused->text()));
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());

    // The usual way on from there: a text file goes to the format page.
    const QString chats = fixtures::writeShareGpt(folder).path;
    dropFiles(page, {chats});
    clickNext(wizard);
    QCOMPARE(wizard.currentId(), int(ImportWizard::FormatPage));
}

QTEST_MAIN(TestImportWizard)
#include "test_import_wizard.moc"
