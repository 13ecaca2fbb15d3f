// The Chat tab's thumbs and "Improve from feedback" on a real project with tiny chat checkpoints
// (tests/support/tiny_chat_checkpoint.h): a reply rated with the link under it, the buttons and
// Ctrl+Up / Ctrl+Down is stored with its prompt, checkpoint and settings, changed, taken back;
// a regenerated reply is rated as a row of its own, so one prompt gets a liked and a disliked
// reply, a pair. Then the studio improves "alpha" from that feedback: the reward model and DPO
// run through the window's run machinery to completion ("from #1" in the run list), and the
// Arena puts the improved checkpoint against its parent, names hidden; after a vote the
// leaderboard names the parent. The improve dialog shows the feedback report. Saves
// build/screenshots/feedback.png (1024x640).
#include "core/eval/feedback_improve.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "tests/support/tiny_chat_checkpoint.h"
#include "widgets/chat/arenapane.h"
#include "widgets/chat/chatside.h"
#include "widgets/chat/leaderboardview.h"
#include "widgets/chat/singlechatpane.h"
#include "widgets/window/feedbackimprover.h"
#include "widgets/window/improvedialog.h"
#include "widgets/window/mainwindow.h"
#include "widgets/window/runlistmodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTextBrowser>
#include <QToolButton>
#include <QtTest>

using namespace rlhf;
using store::Rating;
using widgets::ChatSide;
using widgets::SingleChatPane;

namespace {

const char* const alphaPath = "checkpoints/1/step-000010";  // answers "hello there"
const char* const babblePath = "checkpoints/2/step-000005"; // untrained: replies by the seed

gen::SamplingSettings sampling(float temperature, uint64_t seed)
{
    gen::SamplingSettings settings;
    settings.temperature = temperature;
    settings.repetitionPenalty = 1.0f;
    settings.maxNewTokens = 12;
    settings.seed = seed;
    return settings;
}

bool ask(SingleChatPane& pane, const char* text)
{
    QTest::keyClicks(pane.promptBox(), text);
    QTest::keyClick(pane.promptBox(), Qt::Key_Return);
    return QTest::qWaitFor([&] { return pane.side()->replied(); }, 30000);
}

// Clicks the transcript's "rate:<word>:<turn>" link (what a click on "▲ Good" sends).
void clickRating(SingleChatPane& pane, int turn, Rating rating)
{
    const QString link =
        QStringLiteral("rate:%1:%2").arg(QString::fromUtf8(store::ratingName(rating))).arg(turn);
    QVERIFY(pane.side()->transcript()->toHtml().contains(link));
    Q_EMIT pane.side()->transcript()->anchorClicked(QUrl(link));
}

} // namespace

class TestChatFeedback : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;

    std::vector<store::Feedback> rows() const
    {
        return store::Database(store::ProjectPaths(m_project.toStdString()).database()).feedback();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_project = m_dir.filePath("project");
        auto project = store::Project::create(m_project.toStdString());
        auto& database = project.database();
        test_support::writeTinyChatCheckpoint(project.paths().absolute(alphaPath),
                                              {.seed = 1, .reply = "hello there"});
        test_support::writeTinyChatCheckpoint(project.paths().absolute(babblePath),
                                              {.seed = 2, .initStd = 0.5});
        const auto alpha = database.createRun(store::RunStage::Sft, "alpha", "{}");
        database.addCheckpoint(alpha, 10, alphaPath);
        database.finishRun(alpha, store::RunStatus::Completed);
        const auto babble = database.createRun(store::RunStage::Sft, "babble", "{}");
        database.addCheckpoint(babble, 5, babblePath);
        database.finishRun(babble, store::RunStatus::Failed); // not the panes' default
        QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
    }

    void thumbsAreStoredChangedAndTakenBack()
    {
        SingleChatPane pane(m_project);
        pane.resize(1024, 640);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QVERIFY(pane.choose(QString::fromLatin1(alphaPath)));
        pane.setRater(QStringLiteral("alice"));
        pane.side()->setSettings(sampling(0.0f, 7));
        QVERIFY(!pane.goodButton()->isEnabled()); // nothing to rate yet
        QVERIFY(ask(pane, "hi"));

        // The link under the reply stores it before it shows.
        clickRating(pane, 1, Rating::Up);
        auto stored = rows();
        QCOMPARE(stored.size(), size_t(1));
        QCOMPARE(stored[0].promptJson, std::string(R"([{"role":"user","content":"hi"}])"));
        QCOMPARE(stored[0].reply, std::string("hello there"));
        QCOMPARE(stored[0].checkpoint, std::string(alphaPath));
        QCOMPARE(stored[0].rating, Rating::Up);
        QCOMPARE(stored[0].rater, std::string("alice"));
        QVERIFY(stored[0].settings.find("\"temperature\"") != std::string::npos);
        QCOMPARE(pane.side()->rating(1), std::optional(Rating::Up));
        QVERIFY(pane.goodButton()->isChecked());
        QVERIFY(!pane.badButton()->isChecked());

        // Bad instead (the button): the same row, changed. Bad again (the key): taken back.
        QTest::mouseClick(pane.badButton(), Qt::LeftButton);
        QCOMPARE(rows().size(), size_t(1));
        QCOMPARE(rows()[0].rating, Rating::Down);
        QVERIFY(pane.badButton()->isChecked());
        QTest::keyClick(pane.promptBox(), Qt::Key_Down, Qt::ControlModifier);
        QVERIFY(rows().empty());
        QCOMPARE(pane.side()->rating(1), std::nullopt);
        QVERIFY(!pane.badButton()->isChecked());
        QTest::keyClick(pane.promptBox(), Qt::Key_Up, Qt::ControlModifier);
        QCOMPARE(rows().size(), size_t(1));
        QCOMPARE(rows()[0].rating, Rating::Up);

        // A second turn, rated bad: its prompt is the whole conversation before it.
        QVERIFY(ask(pane, "What is 2 + 3?"));
        clickRating(pane, 3, Rating::Down);
        stored = rows();
        QCOMPARE(stored.size(), size_t(2));
        QCOMPARE(stored[1].promptJson,
                 std::string(R"([{"role":"user","content":"hi"},{"role":"assistant","content":)"
                             R"("hello there"},{"role":"user","content":"What is 2 + 3?"}])"));
        QCOMPARE(stored[1].rating, Rating::Down);
        QVERIFY(pane.feedbackLabel()->text().contains(QStringLiteral("1 good, 1 bad")));
        QVERIFY(pane.side()->transcriptText().contains(QStringLiteral("▲ Good")));
        QVERIFY(pane.grab().save(RLHF_BINARY_DIR "/screenshots/feedback.png"));

        // Clear forgets the view's ratings, not the stored rows.
        QTest::mouseClick(pane.clearButton(), Qt::LeftButton);
        QCOMPARE(pane.side()->rating(1), std::nullopt);
        QCOMPARE(rows().size(), size_t(2));
    }

    void regeneratedReplyIsARowOfItsOwn()
    {
        {
            store::Project project = store::Project::open(m_project.toStdString());
            for (const auto& row : project.database().feedback())
                project.database().removeFeedback(row.id);
        }
        SingleChatPane pane(m_project);
        pane.show();
        QVERIFY(pane.choose(QString::fromLatin1(babblePath)));
        pane.side()->setSettings(sampling(1.0f, 11));
        QVERIFY(ask(pane, "tell me something"));
        const std::string first = pane.side()->conversation().back().content;
        QVERIFY(pane.rateLastReply(Rating::Down));
        // Regenerate (another seed) until the reply differs; the rated one stays stored.
        std::string second = first;
        for (uint64_t seed = 12; seed < 20 && second == first; ++seed) {
            pane.side()->setSettings(sampling(1.0f, seed));
            QTest::mouseClick(pane.regenerateButton(), Qt::LeftButton);
            QVERIFY(QTest::qWaitFor([&] { return pane.side()->replied(); }, 30000));
            QCOMPARE(pane.side()->rating(1), std::nullopt); // a new reply, unrated
            QVERIFY(!pane.feedbackRow(1));
            second = pane.side()->conversation().back().content;
        }
        QVERIFY(second != first);
        QVERIFY(pane.rateLastReply(Rating::Up));
        const auto stored = rows();
        QCOMPARE(stored.size(), size_t(2));
        QCOMPARE(stored[0].promptJson, stored[1].promptJson);
        QCOMPARE(stored[0].rating, Rating::Down);
        QCOMPARE(stored[1].rating, Rating::Up);
        const eval::FeedbackPairs pairs = eval::feedbackPairs(
            store::Database(store::ProjectPaths(m_project.toStdString()).database()));
        QCOMPARE(pairs.pairs.size(), size_t(1));
        QCOMPARE(pairs.pairs[0].chosen, second);
        QCOMPARE(pairs.pairs[0].rejected, first);
    }

    void improveDialogShowsTheReport()
    {
        widgets::ImproveDialog dialog(m_project, QString::fromLatin1(alphaPath));
        QVERIFY2(dialog.reportLabel()->text().contains(
                     QStringLiteral("1 preference pair: 1 from thumbs (2 rated replies)")),
                 qPrintable(dialog.reportLabel()->text()));
        QCOMPARE(dialog.pairCount(), qint64(1));
        dialog.show();
        QVERIFY(dialog.grab().save(RLHF_BINARY_DIR "/screenshots/improve-dialog.png"));
        QCOMPARE(dialog.modelChooser()->currentData().toString(), QString::fromLatin1(alphaPath));
        const eval::ImproveOptions options = dialog.options();
        QCOMPARE(options.from, std::string(alphaPath));
        QCOMPARE(options.method, eval::ImproveMethod::Dpo);
        QCOMPARE(options.rewardSteps, int64_t(0)); // auto
        dialog.methodChooser()->setCurrentIndex(1);
        QCOMPARE(dialog.options().method, eval::ImproveMethod::Ppo);
        dialog.arenaVotes()->setChecked(false);
        QVERIFY(!dialog.options().arenaVotes);
    }

    void studioImprovesFromFeedbackAndArenaComparesWithTheParent()
    {
        {
            // More pairs on alpha's own prompts, so the runs have something to learn.
            store::Project project = store::Project::open(m_project.toStdString());
            for (const char* user : {"hi", "x", "tell me more", "What is 2 + 3?"}) {
                const std::vector<data::Message> prompt{{"user", user}};
                for (const auto& [reply, rating] :
                     {std::pair("hello there", Rating::Up), std::pair("go away", Rating::Down)})
                    project.database().addFeedback({.promptJson = eval::messagesJson(prompt),
                                                    .reply = reply,
                                                    .checkpoint = alphaPath,
                                                    .rating = rating});
            }
        }
        widgets::MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(window.openProject(m_project));
        QSignalSpy finished(window.improver(), &widgets::FeedbackImprover::finished);
        QSignalSpy runs(&window, &widgets::MainWindow::runFinished);
        eval::ImproveOptions options;
        options.from = alphaPath;
        options.rewardSteps = 2;
        options.policySteps = 2;
        options.batchSize = 2;
        options.training = {{"threads", 1}, {"precision", "fp32"}};
        QCOMPARE(window.startImprovement(options), QString());
        QVERIFY(finished.wait(120000));
        QCOMPARE(runs.count(), 2);
        QCOMPARE(runs.at(0).at(1).toString(), QStringLiteral("completed"));
        QCOMPARE(runs.at(1).at(1).toString(), QStringLiteral("completed"));
        const QString improved = finished.at(0).at(0).toString();
        QCOMPARE(finished.at(0).at(1).toString(), QString::fromLatin1(alphaPath));

        // Both runs in the run list, descending from alpha's run.
        widgets::RunListModel* model = window.runModel();
        for (const qint64 run : {runs.at(0).at(0).toLongLong(), runs.at(1).at(0).toLongLong()}) {
            const int row = model->rowOfRun(run);
            QVERIFY(row >= 0);
            QCOMPARE(model->data(model->index(row, widgets::RunListModel::From), Qt::DisplayRole)
                         .toString(),
                     QStringLiteral("from #1"));
        }

        // The Arena: the improved checkpoint against its parent, names hidden; a vote shows the
        // improved one on the leaderboard with its parent named.
        widgets::ArenaPane* arena = window.arenaPane();
        QCOMPARE(window.tabs()->currentWidget(), arena);
        QVERIFY(arena->namesHidden());
        const QStringList pair{arena->sideA()->checkpoint(), arena->sideB()->checkpoint()};
        QVERIFY(pair[0].endsWith(improved) || pair[1].endsWith(improved));
        QVERIFY(pair[0].endsWith(alphaPath) || pair[1].endsWith(alphaPath));
        for (ChatSide* side : {arena->sideA(), arena->sideB()})
            side->setSettings(sampling(0.0f, 1));
        QTest::keyClicks(arena->promptBox(), "hi");
        QTest::keyClick(arena->promptBox(), Qt::Key_Return);
        QVERIFY(QTest::qWaitFor([&] { return arena->canVote(); }, 30000));
        QVERIFY(arena->vote(store::Judgment::Tie));
        const QStandardItemModel* board = arena->leaderboard()->model();
        QCOMPARE(board->rowCount(), 2);
        using Column = widgets::LeaderboardView::Column;
        bool named = false;
        for (int row = 0; row < board->rowCount(); ++row)
            if (board->item(row, Column::Model)->toolTip() == improved)
                named = board->item(row, Column::From)->text() == QStringLiteral("alpha · step 10");
        QVERIFY(named);
        // New round keeps the pair, hidden again.
        QTest::mouseClick(arena->newRoundButton(), Qt::LeftButton);
        QVERIFY(arena->namesHidden());
        const QStringList again{arena->sideA()->checkpoint(), arena->sideB()->checkpoint()};
        QVERIFY(again.contains(pair[0]) && again.contains(pair[1]));
    }
};

QTEST_MAIN(TestChatFeedback)
#include "test_chat_feedback.moc"
