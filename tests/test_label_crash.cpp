// Kill -9 while labeling: no label the labeler saw acknowledged is ever lost or duplicated.
// This executable is both sides. The test starts itself again as a child ("--labeler"), which
// runs the real LabelingPane on the project's SQLite file and labels as fast as it can with
// QTest key events, printing each step on stdout: "intent <item> <judgment>" before pressing
// Enter, "ack <item> <judgment>" once the pane reports the label committed, "undoing <item>" /
// "undone <item>" around Ctrl+Z (the item is the session's latest label, which undo removes). The
// parent SIGKILLs the child at a random moment, reads what it printed, starts the next child on the
// same database, and after every round checks the labels table against the acknowledged history:
// every acknowledged label present with its judgment, every acknowledged undo absent, and only the
// one action in flight at the kill undecided.
#include "widgets/labelingpane.h"

#include "core/eval/label_queue.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "core/data/tasks/arithmetic_task.h"

#include <QApplication>
#include <QProcess>
#include <QRandomGenerator>
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

int main(int argc, char** argv)
{
    if (argc == 4 && std::string(argv[1]) == "--labeler") {
        QApplication app(argc, argv);
        return runLabeler(QString::fromLocal8Bit(argv[2]), QString(argv[3]).toULongLong());
    }
    QApplication app(argc, argv);
    TestLabelCrash test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_label_crash.moc"
