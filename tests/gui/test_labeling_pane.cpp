// The labeling pane as an annotator uses it, on a real project
// (tests/support/arithmetic_project.h): the arithmetic task's preference pairs queued through the
// queue bar (its train split by default, another split when chosen, so val and test stay held
// out), judged with the keyboard (1-4, Enter, arrows, Ctrl+Z) and the mouse, each label read
// back from the SQLite file right after it was acknowledged; a second annotator, the agreement
// table against a hand-computed Cohen's kappa, the JSONL export, and a reward model trained from
// "labels of this project" chosen in the stage wizard. The sampler's checkpoint defaults to the
// newest completed run's latest. Saves build/screenshots/labeling.png.
#include "widgets/labeling/labelingpane.h"

#include "core/eval/label_pairs.h"
#include "core/store/project.h"
#include "core/train/stage_observer.h"
#include "core/train/stage_runner.h"
#include "tests/support/arithmetic_project.h"
#include "tests/support/run_history_project.h"
#include "tests/support/wizard_steps.h"
#include "widgets/labeling/agreementpanel.h"
#include "widgets/labeling/labelqueuebar.h"

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <fstream>
#include <map>
#include <memory>

using rlhf::widgets::LabelingPane;
using rlhf::widgets::ScreenChoice;
using rlhf::widgets::StageWizard;
namespace store = rlhf::store;
namespace train = rlhf::train;

namespace {

store::Database openDatabase(const QString& project)
{
    return store::Database(store::ProjectPaths(project.toStdString()).database(),
                           store::OpenMode::ExistingOnly);
}

// The key that picks the stored response `judgment` (A or B) on screen right now.
Qt::Key keyFor(const LabelingPane& pane, store::Judgment judgment)
{
    const bool aOnLeft = !pane.session()->swapped();
    return (judgment == store::Judgment::A) == aOnLeft ? Qt::Key_1 : Qt::Key_2;
}

// The split of each queued item of imported dataset `dataset`, by item id.
std::map<store::Id, std::string> queuedSplits(const store::Database& database,
                                              const std::string& dataset)
{
    const auto found = database.datasetByName(dataset);
    if (!found) qFatal("no dataset '%s'", dataset.c_str());
    std::map<std::string, std::string> splitOf; // origin "<dataset>#<ordinal>" -> split
    database.forEachDocument(found->id, [&](const store::Document& document) {
        splitOf[dataset + "#" + std::to_string(document.ordinal)] = document.split;
    });
    std::map<store::Id, std::string> splits;
    for (const auto& item : database.comparisonItems()) {
        if (item.source == store::ItemSource::Import) splits[item.id] = splitOf.at(item.origin);
    }
    return splits;
}

QPushButton* buttonNamed(const QWidget& parent, const QString& text)
{
    for (auto* button : parent.findChildren<QPushButton*>()) {
        if (button->text() == text) return button;
    }
    qFatal("no button '%s'", qPrintable(text));
}

} // namespace

class TestLabelingPane : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void labelWithTheKeyboard();
    void secondAnnotatorAgreementAndExport();
    void rewardModelTrainsFromTheLabels();
    void sampledPairsJoinTheQueue();
    void queueAnotherSplitWhenChosen();
    void samplerStartsOnTheNewestCompletedRun();

private:
    QTemporaryDir m_dir;
    QString m_project;
    std::string m_checkpoint;
    std::vector<store::Id> m_aliceItems; // the 7 items alice labelled, in order
};

void TestLabelingPane::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_project = m_dir.filePath("project");
    m_checkpoint = fixtures::writeArithmeticProject(m_project.toStdString());
}

void TestLabelingPane::labelWithTheKeyboard()
{
    LabelingPane pane;
    pane.resize(1400, 900);
    pane.setProject(m_project);
    pane.setAnnotator("alice");
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    pane.activateWindow();
    pane.setFocus();
    QVERIFY(pane.session());
    QCOMPARE(pane.session()->queueSize(), int64_t(0));

    // Fill the queue from the imported pairs, as a user does: pick the dataset, click. Only
    // its train split comes: the val and test pairs stay held out.
    auto* bar = pane.queueBar();
    bar->pairDatasets()->setCurrentIndex(bar->pairDatasets()->findText("arith-pairs"));
    QCOMPARE(bar->pairSplit()->currentData().toString(), QString("train"));
    QTest::mouseClick(buttonNamed(*bar, "Queue its pairs"), Qt::LeftButton);
    auto database = openDatabase(m_project);
    const int64_t queued = database.comparisonItemCount();
    QVERIFY2(queued > 20, qPrintable(QString::number(queued)));
    const auto pairs = database.datasetByName("arith-pairs");
    QVERIFY(pairs);
    QVERIFY(database.documentCount(pairs->id, "val") > 0);
    QVERIFY(database.documentCount(pairs->id, "test") > 0);
    QCOMPARE(queued, database.documentCount(pairs->id, "train"));
    for (const auto& [item, split] : queuedSplits(database, "arith-pairs"))
        QCOMPARE(split, std::string("train"));
    QCOMPARE(bar->statusLabel()->text(),
             QString("%1 new pairs queued from the train split of arith-pairs (%1 pairs in that "
                     "split)")
                 .arg(queued));
    QCOMPARE(pane.session()->remaining(), queued);
    QVERIFY(pane.progressLabel()->text().startsWith("0 labelled · " + QString::number(queued)));
    QVERIFY(pane.promptView()->toPlainText().contains("What is"));

    // Six items judged right (response A is the task's right answer), each stored on Enter.
    QSignalSpy committed(&pane, &LabelingPane::labelCommitted);
    for (int i = 0; i < 6; ++i) {
        const auto* item = pane.session()->current();
        QVERIFY(item);
        const bool swapped = pane.session()->swapped();
        QCOMPARE(pane.leftView()->toPlainText().toStdString(),
                 swapped ? item->responseB : item->responseA);
        const store::Id id = item->id;
        QTest::keyClick(&pane, keyFor(pane, store::Judgment::A));
        QTest::keyClick(&pane, Qt::Key_Return);
        QCOMPARE(committed.count(), i + 1);
        const auto stored = openDatabase(m_project).label(id, "alice"); // a second connection
        QVERIFY(stored);
        QCOMPARE(stored->judgment, store::Judgment::A);
        QCOMPARE(stored->swapped, swapped);
        m_aliceItems.push_back(id);
    }
    QVERIFY(pane.progressLabel()->text().startsWith("6 labelled"));

    // Enter without a choice stores nothing.
    QTest::keyClick(&pane, Qt::Key_Return);
    QCOMPARE(committed.count(), 6);

    // A tie, undone with Ctrl+Z: the label is gone and the item is back on screen.
    const store::Id seventh = pane.session()->current()->id;
    QTest::keyClick(&pane, Qt::Key_3);
    QTest::keyClick(&pane, Qt::Key_Return);
    QVERIFY(database.label(seventh, "alice"));
    QSignalSpy undone(&pane, &LabelingPane::labelUndone);
    QTest::keyClick(&pane, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(undone.count(), 1);
    QVERIFY(!database.label(seventh, "alice"));
    QCOMPARE(pane.session()->current()->id, seventh);

    // Arrows: back to the sixth item, which shows its stored judgment; forward again.
    QTest::keyClick(&pane, Qt::Key_Left);
    QCOMPARE(pane.session()->current()->id, m_aliceItems.back());
    QVERIFY(pane.chosen().has_value());
    QCOMPARE(rlhf::widgets::judgmentOf(*pane.chosen(), pane.session()->swapped()),
             store::Judgment::A);
    QTest::keyClick(&pane, Qt::Key_Right);
    QCOMPARE(pane.session()->current()->id, seventh);

    // The mouse and a comment: "both bad", committed by Enter in the comment field.
    QTest::mouseClick(pane.choiceButton(ScreenChoice::BothBad), Qt::LeftButton);
    QTest::mouseClick(pane.commentEdit(), Qt::LeftButton);
    QTest::keyClicks(pane.commentEdit(), "neither adds up");
    QTest::keyClick(pane.commentEdit(), Qt::Key_Return);
    const auto withComment = database.label(seventh, "alice");
    QVERIFY(withComment);
    QCOMPARE(withComment->judgment, store::Judgment::BothBad);
    QCOMPARE(withComment->comment, std::string("neither adds up"));
    m_aliceItems.push_back(seventh);

    // Skip sends the item to the end of the queue.
    const store::Id skipped = pane.session()->current()->id;
    QTest::mouseClick(buttonNamed(pane, "Skip"), Qt::LeftButton);
    QVERIFY(pane.session()->current()->id != skipped);
    QCOMPARE(pane.session()->position(), int64_t(m_aliceItems.size()));
    QVERIFY(!database.label(skipped, "alice"));

    QCOMPARE(int64_t(database.labels().size()), int64_t(7));
}

void TestLabelingPane::secondAnnotatorAgreementAndExport()
{
    QCOMPARE(m_aliceItems.size(), size_t(7));
    LabelingPane pane;
    pane.setProject(m_project);
    pane.annotatorEdit()->setText("bob");
    QTest::keyClick(pane.annotatorEdit(), Qt::Key_Return); // editingFinished
    QCOMPARE(pane.annotator(), QString("bob"));
    // Bob sees the queue in id order; he judges alice's seven items: the first five as she did,
    // the sixth the other way, the seventh both bad.
    for (size_t i = 0; i < m_aliceItems.size(); ++i) {
        while (pane.session()->current()->id != m_aliceItems[i])
            pane.skip();
        const auto judgment = i < 5    ? store::Judgment::A
                              : i == 5 ? store::Judgment::B
                                       : store::Judgment::BothBad;
        QTest::keyClick(&pane,
                        judgment == store::Judgment::BothBad ? Qt::Key_4 : keyFor(pane, judgment));
        QTest::keyClick(&pane, Qt::Key_Enter);
    }
    // Cohen's kappa by hand over the 7 common items. Alice: A x6, both-bad x1; bob: A x5, B x1,
    // both-bad x1. Observed agreement po = 6/7. Chance pe = (6/7)(5/7) [A] + 0 [B] +
    // (1/7)(1/7) [both bad] = 31/49. kappa = (42/49 - 31/49) / (1 - 31/49) = 11/18 = 0.611.
    auto* table = pane.agreementPanel()->table();
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(table->item(0, 0)->text(), QString("alice · bob"));
    QCOMPARE(table->item(0, 1)->text(), QString("7"));
    QCOMPARE(table->item(0, 2)->text(), QString::number(11.0 / 18.0, 'f', 3));
    // Fleiss by hand over the same 7 items, 2 raters each. P_i = 1 on the 6 agreed items, 0 on
    // item 6: mean P = 6/7. Category shares over 14 ratings: A 11/14, B 1/14, both bad 2/14;
    // Pe = (121 + 1 + 4) / 196 = 126/196. kappa = (6/7 - 126/196) / (1 - 126/196)
    // = (168 - 126) / (196 - 126) = 42/70 = 0.600.
    QVERIFY2(pane.agreementPanel()->summaryText().startsWith("Fleiss' κ 0.600 over 7 items"),
             qPrintable(pane.agreementPanel()->summaryText()));

    pane.resize(1400, 860);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    QTest::keyClick(&pane, Qt::Key_2); // chosen, not committed: how a judgment looks
    QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
    QVERIFY(pane.grab().save(RLHF_BINARY_DIR "/screenshots/labeling.png"));

    // Export: items 1-5 (both say A) make pairs; item 6 is split 1-1 and item 7 both bad: none.
    const QString file = m_dir.filePath("labels.jsonl");
    QCOMPARE(pane.exportLabels(file), qint64(5));
    auto database = openDatabase(m_project);
    std::ifstream in(file.toStdString());
    std::string line;
    size_t lines = 0;
    for (; std::getline(in, line); ++lines) {
        const auto pair = nlohmann::json::parse(line);
        const auto item = database.comparisonItem(m_aliceItems[lines]);
        QVERIFY(item);
        QCOMPARE(pair.at("chosen").get<std::string>(), item->responseA);
        QCOMPARE(pair.at("rejected").get<std::string>(), item->responseB);
        QCOMPARE(pair.at("prompt").dump(), nlohmann::json::parse(item->promptJson).dump());
    }
    QCOMPARE(lines, size_t(5));
}

void TestLabelingPane::rewardModelTrainsFromTheLabels()
{
    // The stage wizard's reward stage with "labels of this project" as its data: alice's six
    // clear judgments (her seventh is both bad), nothing held out.
    StageWizard wizard(m_project, /*gpus=*/{});
    wizard.show();
    fixtures::chooseStage(wizard, "reward");
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    QCOMPARE(wizard.currentId(), int(StageWizard::StartPage));
    auto* dataset = fixtures::child<QComboBox>(wizard, "startDataset");
    dataset->setCurrentIndex(dataset->findText("Labels of this project", Qt::MatchStartsWith));
    QVERIFY(dataset->currentIndex() >= 0);
    auto* filter = fixtures::child<QWidget>(wizard, "labelFilter");
    QVERIFY(filter->isVisible());
    QVERIFY(!fixtures::child<QComboBox>(wizard, "trainSplit")->isVisible());
    auto* count = fixtures::child<QLabel>(wizard, "labelPairCount");
    QVERIFY2(count->text().startsWith("5 labelled pairs"), qPrintable(count->text())); // majority
    QTest::keyClicks(fixtures::child<QLineEdit>(wizard, "labelAnnotators"), "alice");
    QVERIFY2(count->text().startsWith("6 labelled pairs"), qPrintable(count->text()));
    fixtures::child<QDoubleSpinBox>(wizard, "labelValFraction")->setValue(0);
    QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    QCOMPARE(wizard.currentId(), int(StageWizard::RewardModelPage)); // its defaults
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    fixtures::finishQuickly(wizard, /*steps=*/12, /*batch=*/6, "3e-3");

    const auto document = fixtures::writtenDocument(wizard);
    QVERIFY2(document.at("data").at("labels").at("annotators") == nlohmann::json::array({"alice"}),
             document.dump().c_str());
    train::StageObserver quiet;
    train::StopToken stop;
    const auto report =
        train::runStage(m_project.toStdString(), document, "rm-from-labels.json", quiet, stop);
    QCOMPARE(report.status, std::string("completed"));
    auto database = openDatabase(m_project);
    const auto loss = database.metricSeries(report.runId, "train/loss");
    QVERIFY(loss.size() >= 2);
    QVERIFY2(loss.back().value < loss.front().value * 0.8,
             qPrintable(QString("loss %1 -> %2").arg(loss.front().value).arg(loss.back().value)));
}

void TestLabelingPane::sampledPairsJoinTheQueue()
{
    // The queue bar's sampler: two replies of the project's checkpoint per prompt, made on the
    // sampler's thread and shown to the labeler as they land; the models stay hidden.
    LabelingPane pane;
    pane.setProject(m_project);
    pane.setAnnotator("carol");
    const int64_t before = pane.session()->remaining();
    auto* bar = pane.queueBar();
    QCOMPARE(bar->checkpoints()->currentData().toString(), QString::fromStdString(m_checkpoint));
    bar->promptDatasets()->setCurrentIndex(bar->promptDatasets()->findText("arith-prompts"));
    bar->sampleCount()->setValue(3);
    QSignalSpy finished(bar, &rlhf::widgets::LabelQueueBar::samplingFinished);
    QTest::mouseClick(buttonNamed(*bar, "Sample pairs"), Qt::LeftButton);
    QVERIFY(bar->isSampling());
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.at(0).at(0).toLongLong(), qint64(3));
    QCOMPARE(pane.session()->remaining(), before + 3);

    auto database = openDatabase(m_project);
    std::vector<store::ComparisonItem> sampled;
    for (auto& item : database.comparisonItems()) {
        if (item.source == store::ItemSource::Sampled) sampled.push_back(std::move(item));
    }
    QCOMPARE(sampled.size(), size_t(3));
    for (const auto& item : sampled) {
        QCOMPARE(item.modelA, m_checkpoint);
        QVERIFY(nlohmann::json::parse(item.promptJson)
                    .at(0)
                    .at("content")
                    .get<std::string>()
                    .find("What is") != std::string::npos);
    }
    // Sampling again with the same seed skips those prompts and takes the next three.
    const int64_t afterFirst = database.comparisonItemCount();
    QTest::mouseClick(buttonNamed(*bar, "Sample pairs"), Qt::LeftButton);
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.at(1).at(0).toLongLong() == 3, qPrintable(bar->statusLabel()->text()));
    QCOMPARE(database.comparisonItemCount(), afterFirst + 3);

    // The CLI twin on the same project.
    QProcess cli;
    cli.start(RLHF_BINARY_DIR "/bin/rlhf",
              {"labels", "sample", "-p", m_project, "-c", QString::fromStdString(m_checkpoint),
               "-d", "arith-prompts", "--count", "2", "--seed", "9"});
    QVERIFY(cli.waitForFinished(60000));
    QCOMPARE(cli.exitCode(), 0);
    QVERIFY2(cli.readAllStandardOutput().startsWith("2 pairs queued"), "rlhf labels sample");
    QCOMPARE(database.comparisonItemCount(), afterFirst + 5);
}

void TestLabelingPane::queueAnotherSplitWhenChosen()
{
    // The val split when chosen: exactly its pairs join the queue, and the status says so.
    LabelingPane pane;
    pane.setProject(m_project);
    pane.setAnnotator("dave");
    auto database = openDatabase(m_project);
    const auto pairs = database.datasetByName("arith-pairs");
    QVERIFY(pairs);
    const int64_t before = database.comparisonItemCount();
    const auto trainItems = queuedSplits(database, "arith-pairs");
    auto* bar = pane.queueBar();
    bar->pairDatasets()->setCurrentIndex(bar->pairDatasets()->findText("arith-pairs"));
    bar->pairSplit()->setCurrentIndex(bar->pairSplit()->findData("val"));
    QTest::mouseClick(buttonNamed(*bar, "Queue its pairs"), Qt::LeftButton);
    const int64_t val = database.documentCount(pairs->id, "val");
    QCOMPARE(database.comparisonItemCount(), before + val);
    int64_t added = 0;
    for (const auto& [item, split] : queuedSplits(database, "arith-pairs")) {
        if (trainItems.count(item)) continue;
        QCOMPARE(split, std::string("val"));
        ++added;
    }
    QCOMPARE(added, val);
    QCOMPARE(bar->statusLabel()->text(),
             QString("%1 new pairs queued from the val split of arith-pairs (%1 pairs in that "
                     "split)")
                 .arg(val));
    // Queued again: nothing new, and the status says how many the split has.
    QTest::mouseClick(buttonNamed(*bar, "Queue its pairs"), Qt::LeftButton);
    QCOMPARE(database.comparisonItemCount(), before + val);
    QVERIFY2(bar->statusLabel()->text().startsWith("0 new pairs queued from the val split"),
             qPrintable(bar->statusLabel()->text()));
}

void TestLabelingPane::samplerStartsOnTheNewestCompletedRun()
{
    // Not the oldest run, not the reward model (it cannot write replies, so it is not offered),
    // not the run still going: "sft" at its latest step.
    using fixtures::RunHistory;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = dir.filePath("project");
    fixtures::writeRunHistoryProject(project.toStdString());
    rlhf::widgets::LabelQueueBar bar;
    bar.setProject(project);
    QCOMPARE(bar.checkpoints()->currentData().toString(), QString(RunHistory::sftStep15));
    QCOMPARE(bar.checkpoints()->count(), 5);
    QCOMPARE(bar.checkpoints()->findData(QString(RunHistory::rewardStep7)), -1);
    // Another checkpoint chosen survives a re-read of the same project.
    bar.checkpoints()->setCurrentIndex(
        bar.checkpoints()->findData(QString(RunHistory::baseStep10)));
    bar.setProject(project);
    QCOMPARE(bar.checkpoints()->currentData().toString(), QString(RunHistory::baseStep10));
}

QTEST_MAIN(TestLabelingPane)
#include "test_labeling_pane.moc"
