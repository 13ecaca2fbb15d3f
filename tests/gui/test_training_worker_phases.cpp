// The studio's view of a long phase before the first step: a real tiny DPO run on a
// TrainingWorker thread (the arithmetic project) whose reference log-probability caching reaches
// the GUI thread as log lines and phaseProgress signals with a status-bar text, from "0 of N"
// to "N of N", before the first step's progress signal.
#include "core/store/project.h"
#include "tests/support/arithmetic_project.h"
#include "widgets/window/trainingworker.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

using rlhf::widgets::TrainingWorker;

class TestTrainingWorkerPhases : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void phaseTextReadsAsAStatus()
    {
        QCOMPARE(
            TrainingWorker::phaseText("caching reference log-probabilities", "pairs", 1200, 5000),
            QStringLiteral("Caching reference log-probabilities: %1 of %2 pairs (24%)")
                .arg(QLocale().toString(1200), QLocale().toString(5000)));
        QCOMPARE(TrainingWorker::phaseText("x", "items", 0, 0), QStringLiteral("X: 0 of 0 items"));
    }

    void dpoCachingReachesTheGuiBeforeTheFirstStep()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::filesystem::path root = std::filesystem::path(dir.path().toStdString()) / "p";
        const std::string init = fixtures::writeArithmeticProject(root);
        const nlohmann::json document = fixtures::tinyDpoDocument(init);

        QThread thread;
        auto* worker = new TrainingWorker;
        worker->moveToThread(&thread);
        connect(&thread, &QThread::finished, worker, &QObject::deleteLater);
        thread.start();
        QStringList events; // in arrival order on the GUI thread
        connect(worker, &TrainingWorker::logLine, this,
                [&](const QString& line) { events << "log: " + line; });
        connect(worker, &TrainingWorker::phaseProgress, this,
                [&](const QString& text, qint64 done, qint64 total) {
                    events << QStringLiteral("phase: %1 [%2/%3]").arg(text).arg(done).arg(total);
                });
        connect(worker, &TrainingWorker::progress, this,
                [&](qint64 step, qint64) { events << QStringLiteral("step %1").arg(step); });
        QString status; // set last: the queued signals before it have all arrived
        connect(worker, &TrainingWorker::finished, this,
                [&](qint64, const QString& how) { status = how; });
        QMetaObject::invokeMethod(worker, "run", Qt::QueuedConnection,
                                  Q_ARG(QString, QString::fromStdString(root.string())),
                                  Q_ARG(QString, QString::fromStdString(document.dump())));
        QTRY_VERIFY_WITH_TIMEOUT(!status.isEmpty(), 120000);
        thread.quit();
        thread.wait();
        QCOMPARE(status, QStringLiteral("completed"));

        const QString all = events.join('\n');
        const int firstStep = events.indexOf(QStringLiteral("step 1"));
        QVERIFY2(firstStep > 0, qPrintable(all));
        const auto started = events.indexOf(
            QRegularExpression("^log: caching reference log-probabilities of [0-9,]+ pairs…$"));
        QVERIFY2(started >= 0 && started < firstStep, qPrintable(all));
        const QRegularExpression phase("^phase: Caching reference log-probabilities: .* pairs "
                                       "\\(([0-9]+)%\\) \\[([0-9]+)/([0-9]+)\\]$");
        QStringList phases;
        for (int i = 0; i < events.size(); ++i)
            if (events[i].startsWith("phase: ")) {
                QVERIFY2(i < firstStep && phase.match(events[i]).hasMatch(), qPrintable(all));
                phases << events[i];
            }
        QVERIFY2(phases.size() >= 2, qPrintable(all));
        const auto first = phase.match(phases.front()), last = phase.match(phases.back());
        QCOMPARE(first.captured(1), QStringLiteral("0"));
        QCOMPARE(first.captured(2), QStringLiteral("0"));
        QCOMPARE(last.captured(1), QStringLiteral("100"));
        QCOMPARE(last.captured(2), last.captured(3));
    }
};

QTEST_MAIN(TestTrainingWorkerPhases)
#include "test_training_worker_phases.moc"
