// The chat arena and the single chat on a real project with two tiny taught checkpoints
// (tests/support/tiny_chat_checkpoint.h): "alpha" answers every turn "hello there", "beta"
// "good day to you". A random pair is drawn hidden; a prompt typed into the box and sent with
// Enter streams into both sides at once; a click on "B is better" stores a battle with both
// whole conversations, settings and the vote before the names are revealed, and ends the round:
// no second vote, no prompt until "New round", which draws a new hidden pair; the leaderboard
// then has both models, the winner first, and no interval for one vote; a second prompt
// continues both conversations (four messages each). A fresh arena, single chat and their
// checkpoint lists start on the newest completed run, the arena's B on another model; the
// leaderboard shows a 95% interval only where enough varied votes back it. The single chat
// answers, regenerates, clears and reports a missing checkpoint; a ChatWorker stops a cancelled
// request between tokens. Saves build/screenshots/arena.png and build/screenshots/chat.png.
#include "core/store/database.h"
#include "core/store/project.h"
#include "tests/support/run_history_project.h"
#include "tests/support/tiny_chat_checkpoint.h"
#include "widgets/chat/arenapane.h"
#include "widgets/chat/chatsettingseditor.h"
#include "widgets/chat/chatside.h"
#include "widgets/chat/chatworker.h"
#include "widgets/chat/leaderboardview.h"
#include "widgets/chat/singlechatpane.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QToolButton>
#include <QtTest>

using namespace rlhf;
using widgets::ArenaPane;
using widgets::ChatSide;

namespace {

const char* const alphaPath = "checkpoints/1/step-000010";
const char* const betaPath = "checkpoints/2/step-000020";
const std::string alphaReply = "hello there";
const std::string betaReply = "good day to you";

gen::SamplingSettings greedy()
{
    gen::SamplingSettings settings;
    settings.temperature = 0.0f;
    settings.repetitionPenalty = 1.0f;
    settings.maxNewTokens = 24;
    return settings;
}

std::string replyOf(const QString& checkpoint)
{
    return checkpoint.endsWith(QLatin1String(alphaPath)) ? alphaReply : betaReply;
}

nlohmann::json messages(std::initializer_list<std::pair<const char*, std::string>> turns)
{
    nlohmann::json array = nlohmann::json::array();
    for (const auto& [role, content] : turns)
        array.push_back({{"role", role}, {"content", content}});
    return array;
}

bool waitForReplies(const ChatSide& a, const ChatSide& b)
{
    return QTest::qWaitFor([&] { return a.replied() && b.replied(); }, 30000);
}

store::Battle battle(const char* modelA, const char* modelB, store::Judgment vote)
{
    store::Battle battle;
    battle.modelA = modelA;
    battle.modelB = modelB;
    battle.vote = vote;
    return battle;
}

} // namespace

class TestArena : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;

    size_t battleCount() const
    {
        return store::Database(store::ProjectPaths(m_project.toStdString()).database())
            .battles()
            .size();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const std::filesystem::path root = m_dir.filePath("project").toStdString();
        auto project = store::Project::create(root);
        auto& database = project.database();
        struct Model {
            const char* name;
            const char* path;
            int64_t step;
            std::string reply;
        };
        uint64_t seed = 1;
        for (const Model& model :
             {Model{"alpha", alphaPath, 10, alphaReply}, Model{"beta", betaPath, 20, betaReply}}) {
            test_support::writeTinyChatCheckpoint(project.paths().absolute(model.path),
                                                  {.seed = seed++, .reply = model.reply});
            const auto run = database.createRun(store::RunStage::Sft, model.name, "{}");
            database.addCheckpoint(run, model.step, model.path);
            database.finishRun(run, store::RunStatus::Completed);
        }
        m_project = QString::fromStdString(root.string());
        QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
    }

    void arenaBattleVoteAndLeaderboard()
    {
        ArenaPane pane(m_project);
        pane.resize(1100, 760);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QCOMPARE(pane.chooserA()->count(), 2);
        // The newest completed run (beta) against the other.
        QCOMPARE(pane.chooserA()->currentData().toString(), QString::fromLatin1(betaPath));
        QCOMPARE(pane.chooserB()->currentData().toString(), QString::fromLatin1(alphaPath));
        QVERIFY(!pane.namesHidden());
        pane.setVoter(QStringLiteral("tester"));

        // A blind pair: two different checkpoints, names hidden.
        QVERIFY(pane.drawRandomPair());
        QVERIFY(pane.namesHidden());
        QVERIFY(!pane.chooserA()->isVisible() && !pane.chooserB()->isVisible());
        QCOMPARE(pane.sideA()->title(), QStringLiteral("Model A"));
        QCOMPARE(pane.sideB()->title(), QStringLiteral("Model B"));
        const QString a = pane.sideA()->checkpoint(), b = pane.sideB()->checkpoint();
        QVERIFY(a != b && !a.isEmpty() && !b.isEmpty());
        pane.sideA()->setSettings(greedy());
        pane.sideB()->setSettings(greedy());

        QSignalSpy piecesA(pane.sideA(), &ChatSide::pieceReceived);
        QSignalSpy piecesB(pane.sideB(), &ChatSide::pieceReceived);
        QVERIFY(!pane.voteButton(store::Judgment::B)->isEnabled());
        QTest::keyClicks(pane.promptBox(), "What is 2 + 3?");
        QVERIFY(pane.sendButton()->isEnabled());
        QTest::keyClick(pane.promptBox(), Qt::Key_Return);
        QVERIFY(pane.promptBox()->text().isEmpty());
        QVERIFY(pane.sideA()->busy() && pane.sideB()->busy()); // both at once
        QVERIFY(!pane.voteButton(store::Judgment::B)->isEnabled());
        QVERIFY(waitForReplies(*pane.sideA(), *pane.sideB()));

        // Streamed into both, piece by piece (one per byte token), and shown.
        QCOMPARE(piecesA.count(), qsizetype(replyOf(a).size()));
        QCOMPARE(piecesB.count(), qsizetype(replyOf(b).size()));
        for (ChatSide* side : {pane.sideA(), pane.sideB()}) {
            const std::string reply = replyOf(side->checkpoint());
            QCOMPARE(side->conversation().size(), size_t(2));
            QCOMPARE(side->conversation().back().content, reply);
            QVERIFY(side->transcriptText().contains(QStringLiteral("What is 2 + 3?")));
            QVERIFY(side->transcriptText().contains(QString::fromStdString(reply)));
            QVERIFY2(QRegularExpression(QStringLiteral("^first token \\d+ ms · \\d+ tok/s$"))
                         .match(side->statusLabel()->text())
                         .hasMatch(),
                     qPrintable(side->statusLabel()->text()));
        }
        QVERIFY(pane.namesHidden()); // still blind until the vote
        QVERIFY(pane.grab().save(RLHF_BINARY_DIR "/screenshots/arena-hidden.png"));

        // Vote B with a click: stored first, then revealed.
        QPushButton* voteB = pane.voteButton(store::Judgment::B);
        QVERIFY(voteB->isEnabled());
        QSignalSpy voted(&pane, &ArenaPane::voted);
        QTest::mouseClick(voteB, Qt::LeftButton);
        QCOMPARE(voted.count(), 1);
        const QString modelA = QDir(m_project).relativeFilePath(a);
        const QString modelB = QDir(m_project).relativeFilePath(b);
        {
            const store::Database database(store::ProjectPaths(m_project.toStdString()).database());
            const auto battles = database.battles();
            QCOMPARE(battles.size(), size_t(1));
            const store::Battle& battle = battles[0];
            QCOMPARE(battle.id, pane.lastBattle());
            QCOMPARE(QString::fromStdString(battle.modelA), modelA);
            QCOMPARE(QString::fromStdString(battle.modelB), modelB);
            QCOMPARE(battle.vote, store::Judgment::B);
            QCOMPARE(nlohmann::json::parse(battle.conversationA),
                     messages({{"user", "What is 2 + 3?"}, {"assistant", replyOf(a)}}));
            QCOMPARE(nlohmann::json::parse(battle.conversationB),
                     messages({{"user", "What is 2 + 3?"}, {"assistant", replyOf(b)}}));
            QCOMPARE(nlohmann::json::parse(battle.settingsA).at("temperature").get<double>(), 0.0);
            QCOMPARE(nlohmann::json::parse(battle.settingsB).at("max_new_tokens").get<int>(), 24);
            QCOMPARE(battle.voter, std::string("tester"));
            // Queued for labeling too, the vote as the voter's label.
            const auto items = database.comparisonItems();
            QCOMPARE(items.size(), size_t(1));
            QCOMPARE(items[0].origin, "battle#" + std::to_string(battle.id));
            QCOMPARE(items[0].responseA, replyOf(a));
            QCOMPARE(items[0].responseB, replyOf(b));
            const auto label = database.label(items[0].id, "arena:tester");
            QVERIFY(label.has_value());
            QCOMPARE(label->judgment, store::Judgment::B);
        }
        const QString labelA = modelA == alphaPath ? "alpha · step 10" : "beta · step 20";
        const QString labelB = modelB == alphaPath ? "alpha · step 10" : "beta · step 20";
        QVERIFY(!pane.namesHidden());
        QVERIFY(pane.chooserA()->isVisible() && pane.chooserB()->isVisible());
        QCOMPARE(pane.sideA()->title(), QStringLiteral("Model A: ") + labelA);
        QCOMPARE(pane.sideB()->title(), QStringLiteral("Model B: ") + labelB);
        QVERIFY(pane.statusLabel()->text().contains(labelA));
        QVERIFY(!voteB->isEnabled()); // one vote per reply

        // The round is over: the names are known, so no second vote and no new prompt, by
        // click or by call, until "New round".
        QVERIFY(pane.roundOver());
        for (const auto judgment : {store::Judgment::A, store::Judgment::B, store::Judgment::Tie,
                                    store::Judgment::BothBad})
            QVERIFY(!pane.voteButton(judgment)->isEnabled());
        QVERIFY(!pane.promptBox()->isEnabled());
        QVERIFY(!pane.sendButton()->isEnabled());
        QVERIFY(!pane.regenerateButton()->isEnabled());
        QVERIFY(pane.newRoundButton()->isVisible() && pane.newRoundButton()->isEnabled());
        QTest::mouseClick(pane.voteButton(store::Judgment::A), Qt::LeftButton);
        QVERIFY(!pane.vote(store::Judgment::A));
        pane.promptBox()->setText(QStringLiteral("tell me more"));
        QVERIFY(!pane.send());
        QVERIFY(!pane.regenerate());
        QVERIFY(!pane.sideA()->busy() && !pane.sideB()->busy());
        QCOMPARE(pane.sideA()->conversation().size(), size_t(2));
        QCOMPARE(voted.count(), 1);
        QCOMPARE(battleCount(), size_t(1));

        // The leaderboard: both models, the winner (B) first, one battle each: too few votes for
        // an interval, so none is shown.
        const QStandardItemModel* board = pane.leaderboard()->model();
        QCOMPARE(board->rowCount(), 2);
        using Column = widgets::LeaderboardView::Column;
        QCOMPARE(board->item(0, Column::Model)->text(), labelB);
        QCOMPARE(board->item(0, Column::Record)->text(), QStringLiteral("1 / 0 / 0"));
        QCOMPARE(board->item(1, Column::Record)->text(), QStringLiteral("0 / 1 / 0"));
        QVERIFY(board->item(0, Column::Rating)->text().toInt() >
                board->item(1, Column::Rating)->text().toInt());
        for (int row = 0; row < 2; ++row) {
            QCOMPARE(board->item(row, Column::Interval)->text(), QStringLiteral("n/a (1 vote)"));
            QVERIFY(!board->item(row, Column::Interval)->toolTip().isEmpty());
        }

        // A new round after a blind one is blind again: a new hidden pair, empty sides, the
        // prompt open, nothing to vote on yet.
        QTest::mouseClick(pane.newRoundButton(), Qt::LeftButton);
        QVERIFY(!pane.roundOver());
        QVERIFY(pane.namesHidden());
        QCOMPARE(pane.sideA()->title(), QStringLiteral("Model A"));
        QVERIFY(pane.sideA()->checkpoint() != pane.sideB()->checkpoint());
        QVERIFY(pane.sideA()->conversation().empty() && pane.sideB()->conversation().empty());
        QVERIFY(pane.promptBox()->isEnabled());
        QVERIFY(!pane.voteButton(store::Judgment::A)->isEnabled());
        const QString a2 = pane.sideA()->checkpoint(), b2 = pane.sideB()->checkpoint();

        // A second turn continues both conversations; the vote stores all four messages.
        pane.promptBox()->clear();
        QTest::keyClicks(pane.promptBox(), "What is 2 + 3?");
        QTest::mouseClick(pane.sendButton(), Qt::LeftButton);
        QVERIFY(waitForReplies(*pane.sideA(), *pane.sideB()));
        QTest::keyClicks(pane.promptBox(), "tell me more");
        QTest::mouseClick(pane.sendButton(), Qt::LeftButton);
        QVERIFY(waitForReplies(*pane.sideA(), *pane.sideB()));
        QCOMPARE(pane.sideA()->conversation().size(), size_t(4));
        QCOMPARE(pane.sideB()->conversation().size(), size_t(4));
        QCOMPARE(pane.sideB()->conversation()[2].content, std::string("tell me more"));
        QCOMPARE(pane.sideA()->conversation()[3].content, replyOf(a2));
        QCOMPARE(pane.sideB()->conversation()[3].content, replyOf(b2));
        QVERIFY(pane.sideA()->settingsEditor()->isHidden()); // collapsed until asked for
        QTest::mouseClick(pane.voteButton(store::Judgment::Tie), Qt::LeftButton);
        QVERIFY(pane.roundOver());
        QVERIFY(pane.grab().save(RLHF_BINARY_DIR "/screenshots/arena.png"));
        {
            const store::Database database(store::ProjectPaths(m_project.toStdString()).database());
            const auto battles = database.battles();
            QCOMPARE(battles.size(), size_t(2));
            QCOMPARE(battles[1].vote, store::Judgment::Tie);
            QCOMPARE(nlohmann::json::parse(battles[1].conversationA).size(), size_t(4));
            QCOMPARE(nlohmann::json::parse(battles[1].conversationB).size(), size_t(4));
        }
        QCOMPARE(board->rowCount(), 2);
        QCOMPARE(board->item(0, Column::Battles)->text(), QStringLiteral("2"));
        QCOMPARE(board->item(0, Column::Interval)->text(), QStringLiteral("n/a (2 votes)"));

        // A new round forgets both conversations.
        QTest::mouseClick(pane.newRoundButton(), Qt::LeftButton);
        QVERIFY(pane.sideA()->conversation().empty() && pane.sideB()->conversation().empty());
        QVERIFY(!pane.voteButton(store::Judgment::A)->isEnabled());

        // The settings open under a side's title.
        QTest::mouseClick(pane.sideA()->findChild<QToolButton*>("settingsToggle"), Qt::LeftButton);
        QVERIFY(pane.sideA()->settingsEditor()->isVisible());
        QVERIFY(pane.grab().save(RLHF_BINARY_DIR "/screenshots/arena-settings.png"));
    }

    void freshPanesStartOnTheNewestCompletedRun()
    {
        // Not the oldest, not a reward model, not a run still going: "sft" at step 15; the
        // arena's B is the run it was trained from, at its latest step.
        using fixtures::RunHistory;
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString project = dir.filePath("project");
        fixtures::writeRunHistoryProject(project.toStdString());
        ArenaPane arena(project);
        QCOMPARE(arena.chooserA()->count(), 6);
        QCOMPARE(arena.chooserA()->currentData().toString(), QString(RunHistory::sftStep15));
        QCOMPARE(arena.chooserB()->currentData().toString(), QString(RunHistory::baseStep20));
        QVERIFY(arena.sideA()->checkpoint().endsWith(QLatin1String(RunHistory::sftStep15)));
        QVERIFY(arena.sideB()->checkpoint().endsWith(QLatin1String(RunHistory::baseStep20)));
        widgets::SingleChatPane chat(project);
        QCOMPARE(chat.chooser()->currentData().toString(), QString(RunHistory::sftStep15));
        QVERIFY(chat.side()->checkpoint().endsWith(QLatin1String(RunHistory::sftStep15)));
    }

    void arenaTakesASecondCheckpointWhenOneIsSaved()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::filesystem::path root = dir.filePath("project").toStdString();
        const auto addRun = [&](const char* name, const char* path) {
            auto project = store::Project::open(root);
            const auto run = project.database().createRun(store::RunStage::Sft, name, "{}");
            project.database().addCheckpoint(run, 10, path);
            project.database().finishRun(run, store::RunStatus::Completed);
        };
        {
            auto created = store::Project::create(root);
        }
        addRun("first", "checkpoints/1/step-000010");
        ArenaPane pane(QString::fromStdString(root.string()));
        QCOMPARE(pane.chooserA()->count(), 1); // both sides on the only one
        QCOMPARE(pane.chooserB()->currentData(), pane.chooserA()->currentData());

        // A second checkpoint saved: B moves to it, A keeps what it had.
        addRun("second", "checkpoints/2/step-000010");
        pane.refreshCheckpoints();
        QCOMPARE(pane.chooserA()->count(), 2);
        QCOMPARE(pane.chooserA()->currentData().toString(),
                 QStringLiteral("checkpoints/1/step-000010"));
        QCOMPARE(pane.chooserB()->currentData().toString(),
                 QStringLiteral("checkpoints/2/step-000010"));

        // One checkpoint against itself by choice (to compare settings) stays so on a refresh.
        QVERIFY(pane.choose(QStringLiteral("checkpoints/2/step-000010"),
                            QStringLiteral("checkpoints/2/step-000010")));
        addRun("third", "checkpoints/3/step-000010");
        pane.refreshCheckpoints();
        QCOMPARE(pane.chooserA()->count(), 3);
        QCOMPARE(pane.chooserB()->currentData(), pane.chooserA()->currentData());
    }

    void leaderboardShowsAnIntervalOnlyWhenItMeansSomething()
    {
        widgets::LeaderboardView view;
        const QStandardItemModel* board = view.model();
        using Column = widgets::LeaderboardView::Column;

        // One vote: the bootstrap resamples it alone, "−0 / +0" would claim certainty.
        view.setBattles({battle("x", "y", store::Judgment::A)}, {});
        QCOMPARE(board->rowCount(), 2);
        for (int row = 0; row < 2; ++row) {
            QCOMPARE(board->item(row, Column::Interval)->text(), QStringLiteral("n/a (1 vote)"));
            QVERIFY(board->item(row, Column::Interval)->toolTip().contains(QStringLiteral("5")));
        }

        // Ten votes that never vary: every resample is the same, so no interval either.
        view.setBattles(std::vector(10, battle("x", "y", store::Judgment::A)), {});
        for (int row = 0; row < 2; ++row) {
            QCOMPARE(board->item(row, Column::Battles)->text(), QStringLiteral("10"));
            QCOMPARE(board->item(row, Column::Interval)->text(), QStringLiteral("n/a"));
            QVERIFY(!board->item(row, Column::Interval)->toolTip().isEmpty());
        }

        // Twelve varied votes (x wins 8, y 4): a real interval, wide on both sides.
        std::vector<store::Battle> varied;
        for (int i = 0; i < 12; ++i)
            varied.push_back(
                battle("x", "y", i % 3 == 2 ? store::Judgment::B : store::Judgment::A));
        view.setBattles(varied, {});
        const QRegularExpression interval(QStringLiteral("^−(\\d+) / \\+(\\d+)$"));
        for (int row = 0; row < 2; ++row) {
            const QString text = board->item(row, Column::Interval)->text();
            const auto match = interval.match(text);
            QVERIFY2(match.hasMatch(), qPrintable(text));
            QVERIFY2(match.captured(1).toInt() > 0 && match.captured(2).toInt() > 0,
                     qPrintable(text));
        }
    }

    void singleChatAnswersRegeneratesClears()
    {
        widgets::SingleChatPane pane(m_project);
        pane.resize(760, 560);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QVERIFY(pane.choose(QString::fromLatin1(alphaPath)));
        QCOMPARE(pane.side()->title(), QStringLiteral("alpha · step 10"));
        pane.side()->setSettings(greedy());
        QSignalSpy pieces(pane.side(), &ChatSide::pieceReceived);
        QTest::keyClicks(pane.promptBox(), "hi");
        QTest::keyClick(pane.promptBox(), Qt::Key_Return);
        QVERIFY(QTest::qWaitFor([&] { return pane.side()->replied(); }, 30000));
        QCOMPARE(pieces.count(), qsizetype(alphaReply.size()));
        QCOMPARE(pane.side()->conversation().back().content, alphaReply);
        QTest::keyClicks(pane.promptBox(), "What is 2 + 3?");
        QTest::keyClick(pane.promptBox(), Qt::Key_Return);
        QVERIFY(QTest::qWaitFor([&] { return pane.side()->replied(); }, 30000));
        QCOMPARE(pane.side()->conversation().size(), size_t(4));
        const std::string second = pane.side()->conversation().back().content;
        QVERIFY(pane.grab().save(RLHF_BINARY_DIR "/screenshots/chat.png"));

        // Regenerate replaces the last reply (greedy: the same again), Clear forgets it all.
        QTest::mouseClick(pane.regenerateButton(), Qt::LeftButton);
        QVERIFY(pane.side()->busy());
        QVERIFY(QTest::qWaitFor([&] { return pane.side()->replied(); }, 30000));
        QCOMPARE(pane.side()->conversation().size(), size_t(4));
        QCOMPARE(pane.side()->conversation().back().content, second);
        QTest::mouseClick(pane.clearButton(), Qt::LeftButton);
        QVERIFY(pane.side()->conversation().empty());
        QVERIFY(pane.side()->transcriptText().trimmed().isEmpty());

        // A checkpoint whose folder is gone fails on the worker thread and says why.
        {
            auto project = store::Project::open(m_project.toStdString());
            const auto run = project.database().createRun(store::RunStage::Sft, "gone", "{}");
            project.database().addCheckpoint(run, 5, "checkpoints/3/step-000005");
        }
        pane.refreshCheckpoints();
        QVERIFY(pane.choose(QStringLiteral("checkpoints/3/step-000005")));
        QSignalSpy failed(pane.side(), &ChatSide::replyFailed);
        QTest::keyClicks(pane.promptBox(), "hi");
        QTest::keyClick(pane.promptBox(), Qt::Key_Return);
        QVERIFY(failed.wait(30000));
        QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("config.json")),
                 qPrintable(failed.at(0).at(0).toString()));
        QVERIFY(pane.side()->statusLabel()->text().startsWith(QStringLiteral("Failed: ")));
        QVERIFY(!pane.side()->busy());
        QCOMPARE(pane.side()->conversation().size(), size_t(1)); // the question stays
    }

    void workerStopsWhenCancelled()
    {
        // Run on this thread: the stream's cancel check happens between tokens.
        widgets::ChatWorker worker(m_dir.filePath("project/") + alphaPath);
        QSignalSpy finished(&worker, &widgets::ChatWorker::finished);
        QStringList pieces;
        connect(&worker, &widgets::ChatWorker::piece, &worker,
                [&](qint64 request, const QString& text) {
                    pieces << text;
                    if (request == 1) worker.cancel(request); // after its first piece
                });
        worker.generate(1, {{"user", "hi"}}, greedy());
        QCOMPARE(pieces, QStringList{QStringLiteral("h")});
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(1).toString(), QStringLiteral("h"));
        // A request cancelled before it starts ends at once, empty.
        worker.cancel(2);
        worker.generate(2, {{"user", "hi"}}, greedy());
        QCOMPARE(finished.count(), 2);
        QCOMPARE(finished.at(1).at(1).toString(), QString());
        // A later request runs in full.
        pieces.clear();
        worker.generate(3, {{"user", "hi"}}, greedy());
        QCOMPARE(finished.at(2).at(1).toString(), QString::fromStdString(alphaReply));
    }
};

QTEST_MAIN(TestArena)
#include "test_arena.moc"
