// Kill -9 while labeling and voting: no label or arena vote the user saw acknowledged is ever
// lost or duplicated.
// This executable is both sides. The test starts itself again as a child ("--labeler"), which
// runs the real LabelingPane on the project's SQLite file and labels as fast as it can with
// QTest key events, printing each step on stdout: "intent <item> <judgment>" before pressing
// Enter, "ack <item> <judgment>" once the pane reports the label committed, "undoing <item>" /
// "undone <item>" around Ctrl+Z (the item is the session's latest label, which undo removes). The
// parent SIGKILLs the child at a random moment, reads what it printed, starts the next child on the
// same database, and after every round checks the labels table against the acknowledged history:
// every acknowledged label present with its judgment, every acknowledged undo absent, and only the
// one action in flight at the kill undecided.
#include "widgets/chat/arenapane.h"
#include "widgets/chat/chatside.h"
#include "widgets/labeling/labelingpane.h"

#include "core/eval/label_queue.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "core/data/tasks/arithmetic_task.h"
#include "tests/support/tiny_chat_checkpoint.h"

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QLineEdit>
#include <QPushButton>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace store = rlhf::store;
using rlhf::widgets::LabelingPane;

namespace {

const char* const annotator = "crash-tester";

void say(const std::string& line)
{
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout); // the acknowledgement is what reached the parent
}

// The child: label until killed, now and then undoing the latest label.
int runLabeler(const QString& project, quint64 seed)
{
    LabelingPane pane;
    pane.setProject(project);
    pane.setAnnotator(annotator);
    pane.show();
    std::mt19937_64 random(seed);
    std::vector<qint64> latest; // this session's labels, latest last: what Ctrl+Z removes
    QObject::connect(&pane, &LabelingPane::labelCommitted,
                     [&](qint64 item, const QString& judgment) {
                         std::erase(latest, item);
                         latest.push_back(item);
                         say("ack " + std::to_string(item) + " " + judgment.toStdString());
                     });
    QObject::connect(&pane, &LabelingPane::labelUndone, [&](qint64 item) {
        std::erase(latest, item);
        say("undone " + std::to_string(item));
    });
    say("ready");
    QTimer timer;
    QObject::connect(&timer, &QTimer::timeout, [&] {
        const auto* item = pane.session()->current();
        if (!item) {
            say("done");
            QCoreApplication::exit(0);
            return;
        }
        if (random() % 8 == 0 && !latest.empty()) {
            say("undoing " + std::to_string(latest.back()));
            QTest::keyClick(&pane, Qt::Key_Z, Qt::ControlModifier);
            return;
        }
        const int choice = int(random() % 4);
        const rlhf::widgets::ScreenChoice screen[] = {
            rlhf::widgets::ScreenChoice::Left, rlhf::widgets::ScreenChoice::Right,
            rlhf::widgets::ScreenChoice::Tie, rlhf::widgets::ScreenChoice::BothBad};
        const auto judgment = rlhf::widgets::judgmentOf(screen[choice], pane.session()->swapped());
        say("intent " + std::to_string(item->id) + " " +
            std::string(store::judgmentName(judgment)));
        QTest::keyClick(&pane, Qt::Key(Qt::Key_1 + choice));
        QTest::keyClick(&pane, Qt::Key_Return);
    });
    timer.start(1);
    return QApplication::exec();
}

// The arena child: ask both sides a question only this battle asks, vote at random once both
// answered, ask the next, until killed. "intent <question>" before the vote, "ack <battle id>
// <judgment> <question>" once the pane reports it stored.
int runVoter(const QString& project, quint64 seed)
{
    rlhf::widgets::ArenaPane arena(project);
    arena.setVoter("crash-voter");
    arena.show();
    if (!arena.choose("checkpoints/a/step-1", "checkpoints/b/step-1")) return 2;
    std::mt19937_64 random(seed);
    std::string question;
    int asked = 0;
    QObject::connect(&arena, &rlhf::widgets::ArenaPane::voted, [&](qint64 battle) {
        const auto stored =
            store::Database(store::ProjectPaths(project.toStdString()).database()).battle(battle);
        say("ack " + std::to_string(battle) + " " +
            std::string(store::judgmentName(stored ? stored->vote : store::Judgment::Tie)) + " " +
            question);
    });
    say("ready");
    QTimer timer;
    QObject::connect(&timer, &QTimer::timeout, [&] {
        if (arena.canVote()) {
            const store::Judgment votes[] = {store::Judgment::A, store::Judgment::B,
                                             store::Judgment::Tie, store::Judgment::BothBad};
            const auto vote = votes[random() % 4];
            say("intent " + question);
            QTest::mouseClick(arena.voteButton(vote), Qt::LeftButton);
            return;
        }
        if (arena.sideA()->busy() || arena.sideB()->busy()) return;
        arena.newRound();
        question = "q" + std::to_string(seed % 100000) + "-" + std::to_string(++asked);
        arena.promptBox()->setText(QString::fromStdString(question));
        arena.send();
    });
    timer.start(1);
    return QApplication::exec();
}

// What the parent knows of one item's label.
struct Expected {
    std::optional<std::string> judgment;    // acknowledged state: a judgment, or no label
    std::optional<std::string> alternative; // the in-flight state at a kill, may have landed
    bool undecided = false;                 // the in-flight action may or may not have landed
};

} // namespace

class TestLabelCrash : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void labelsSurviveKill9();
    void votesSurviveKill9();
};

void TestLabelCrash::labelsSurviveKill9()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = dir.filePath("project");
    rlhf::data::ArithmeticTaskOptions task;
    task.maxOperand = 30; // 961 questions: more items than the children get through
    rlhf::data::writeArithmeticTask(project.toStdString(), "arith", task);
    store::Database database(store::ProjectPaths(project.toStdString()).database());
    QVERIFY(rlhf::eval::queueDataset(database, "arith-pairs") > 500);

    std::map<int64_t, Expected> expected;
    std::mt19937_64 random(2026);
    int64_t acknowledged = 0, undos = 0;
    const int rounds = 12;
    for (int round = 0; round < rounds; ++round) {
        QProcess child;
        child.setProcessChannelMode(QProcess::SeparateChannels);
        child.start(QCoreApplication::applicationFilePath(),
                    {"--labeler", project, QString::number(random())});
        QVERIFY(child.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(child.canReadLine(), 20000); // "ready"
        QTest::qWait(int(50 + random() % 400));
        ::kill(pid_t(child.processId()), SIGKILL);
        QVERIFY(child.waitForFinished());
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);

        // Replay what the child acknowledged; the last unacknowledged action stays undecided.
        std::istringstream lines(child.readAllStandardOutput().toStdString());
        std::string line, inFlight;
        while (std::getline(lines, line)) {
            std::istringstream words(line);
            std::string verb, judgment;
            int64_t item = 0;
            words >> verb >> item >> judgment;
            if (verb == "ack") {
                expected[item] = {judgment, std::nullopt, false};
                ++acknowledged;
                inFlight.clear();
            } else if (verb == "undone") {
                expected[item] = {std::nullopt, std::nullopt, false};
                ++undos;
                inFlight.clear();
            } else if (verb == "intent" || verb == "undoing") { // acted, not yet acknowledged
                inFlight = line;
            }
        }
        if (!inFlight.empty()) { // killed between an action and its acknowledgement
            std::istringstream words(inFlight);
            std::string verb, judgment;
            int64_t item = 0;
            words >> verb >> item >> judgment;
            auto& entry = expected[item];
            entry.undecided = true;
            entry.alternative = verb == "intent" ? std::optional(judgment) : std::nullopt;
        }

        // The database against the history, after every kill.
        std::map<int64_t, std::string> stored;
        for (const auto& label : database.labels()) {
            QCOMPARE(label.annotator, std::string(annotator));
            QVERIFY2(stored.emplace(label.item, store::judgmentName(label.judgment)).second,
                     "two labels of one item by one annotator");
        }
        for (auto& [item, entry] : expected) {
            const auto found = stored.find(item);
            const std::optional<std::string> actual =
                found == stored.end() ? std::nullopt : std::optional(found->second);
            const bool matches =
                actual == entry.judgment || (entry.undecided && actual == entry.alternative);
            QVERIFY2(matches,
                     qPrintable(QString("item %1: stored %2, acknowledged %3")
                                    .arg(item)
                                    .arg(actual ? actual->c_str() : "none")
                                    .arg(entry.judgment ? entry.judgment->c_str() : "none")));
            // What the database holds now is what the next child starts from.
            entry = {actual, std::nullopt, false};
        }
        for (const auto& [item, judgment] : stored)
            QVERIFY2(expected.count(item), "a label nobody asked for");
    }
    QVERIFY2(acknowledged >= rounds * 3,
             qPrintable(QString("only %1 labels acknowledged").arg(acknowledged)));
    qInfo("%d kills, %lld labels and %lld undos acknowledged, none lost or duplicated", rounds,
          static_cast<long long>(acknowledged), static_cast<long long>(undos));
}

void TestLabelCrash::votesSurviveKill9()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = dir.filePath("project");
    {
        auto created = store::Project::create(project.toStdString());
        auto& database = created.database();
        uint64_t seed = 7;
        for (const char* name : {"a", "b"}) {
            const std::string path = std::string("checkpoints/") + name + "/step-1";
            rlhf::test_support::TinyChat chat;
            chat.seed = seed++;
            chat.contextLength = 48; // untrained: short random replies, quick to generate
            rlhf::test_support::writeTinyChatCheckpoint(created.paths().absolute(path), chat);
            const auto run = database.createRun(store::RunStage::Sft, name, "{}");
            database.addCheckpoint(run, 1, path);
            database.finishRun(run, store::RunStatus::Completed);
        }
    }
    store::Database database(store::ProjectPaths(project.toStdString()).database());

    std::map<int64_t, std::string> acknowledged; // battle id -> vote
    std::mt19937_64 random(11);
    int64_t unacknowledged = 0; // votes possibly stored without the child saying so
    const int rounds = 6;
    for (int round = 0; round < rounds; ++round) {
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(),
                    {"--voter", project, QString::number(round + 1)});
        QVERIFY(child.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(child.canReadLine(), 20000); // "ready"
        QTest::qWait(int(300 + random() % 900));
        ::kill(pid_t(child.processId()), SIGKILL);
        QVERIFY(child.waitForFinished());
        std::istringstream lines(child.readAllStandardOutput().toStdString());
        std::string line, inFlight;
        while (std::getline(lines, line)) {
            std::istringstream words(line);
            std::string verb, vote;
            int64_t battle = 0;
            words >> verb;
            if (verb == "ack") {
                words >> battle >> vote;
                QVERIFY2(acknowledged.emplace(battle, vote).second, "a battle acknowledged twice");
                inFlight.clear();
            } else if (verb == "intent") {
                inFlight = line;
            }
        }
        if (!inFlight.empty()) ++unacknowledged;

        std::map<std::string, int> questions; // every battle asked its own question
        for (const auto& battle : database.battles()) {
            const auto first = nlohmann::json::parse(battle.conversationA).at(0).at("content");
            QVERIFY2(++questions[first.get<std::string>()] == 1, "a vote stored twice");
            const auto found = acknowledged.find(battle.id);
            if (found != acknowledged.end())
                QCOMPARE(std::string(store::judgmentName(battle.vote)), found->second);
        }
        for (const auto& [battle, vote] : acknowledged)
            QVERIFY2(database.battle(battle), qPrintable(QString("battle %1 lost").arg(battle)));
        QVERIFY(int64_t(database.battles().size()) <=
                int64_t(acknowledged.size()) + unacknowledged);
    }
    QVERIFY2(acknowledged.size() >= 3,
             qPrintable(QString("only %1 votes acknowledged").arg(acknowledged.size())));
    // Every battle becomes exactly one labeling item with the vote as its label, even those
    // whose queueing a kill interrupted.
    rlhf::eval::queueBattles(database);
    QCOMPARE(database.comparisonItemCount(), int64_t(database.battles().size()));
    QCOMPARE(int64_t(database.labels().size()), int64_t(database.battles().size()));
    qInfo("%d kills, %zu votes acknowledged, %lld in flight, none lost or duplicated", rounds,
          acknowledged.size(), static_cast<long long>(unacknowledged));
}

int main(int argc, char** argv)
{
    if (argc == 4 && std::string(argv[1]) == "--voter") {
        QApplication app(argc, argv);
        return runVoter(QString::fromLocal8Bit(argv[2]), QString(argv[3]).toULongLong());
    }
    if (argc == 4 && std::string(argv[1]) == "--labeler") {
        QApplication app(argc, argv);
        return runLabeler(QString::fromLocal8Bit(argv[2]), QString(argv[3]).toULongLong());
    }
    QApplication app(argc, argv);
    TestLabelCrash test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_label_crash.moc"
