// The studio's background training: a TrainingWorker on its own QThread runs a real tiny
// pretraining stage in a real project while the GUI thread's event loop keeps turning; metrics
// arrive batched; pause holds the run, cancel leaves a checkpoint and a stopped run that a
// resumed document continues; the run list shows it all from the database.
#include "core/store/project.h"
#include "core/store/token_file.h"
#include "tests/support/tiny_pretrain_document.h"
#include "widgets/window/runlistmodel.h"
#include "widgets/window/trainingworker.h"

#include <nlohmann/json.hpp>
#include <QElapsedTimer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QThread>
#include <QtTest>

using namespace rlhf;
using rlhf::widgets::TrainingWorker;

class TestTrainingWorker : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;
    QThread m_thread;
    TrainingWorker* m_worker = nullptr;

    void start(const nlohmann::json& document)
    {
        QMetaObject::invokeMethod(m_worker, "run", Qt::QueuedConnection, Q_ARG(QString, m_project),
                                  Q_ARG(QString, QString::fromStdString(document.dump())));
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_project = m_dir.filePath("project");
        auto project = store::Project::create(m_project.toStdString());
        test_support::writeTinyPretrainTokens(project);
        m_worker = new TrainingWorker;
        m_worker->moveToThread(&m_thread);
        connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
        m_thread.start();
    }
    void cleanupTestCase()
    {
        m_thread.quit();
        m_thread.wait();
    }

    void runsToCompletionWithBatchedMetrics()
    {
        QSignalSpy finished(m_worker, &TrainingWorker::finished);
        QSignalSpy metrics(m_worker, &TrainingWorker::metrics);
        QSignalSpy progress(m_worker, &TrainingWorker::progress);
        QElapsedTimer elapsed;
        elapsed.start();
        start(test_support::tinyPretrainDocument("worker-test", 30));
        QVERIFY(finished.wait(60000));
        const qint64 runMs = elapsed.elapsed();
        QCOMPARE(finished.first().at(1).toString(), QString("completed"));
        QCOMPARE(progress.count(), 30);
        QVERIFY(metrics.count() >= 1);
        QVERIFY2(metrics.count() <= runMs / 100 + 2, // at most ~10 deliveries a second
                 qPrintable(QString("%1 metric signals in %2 ms").arg(metrics.count()).arg(runMs)));
        int losses = 0;
        for (const auto& call : metrics)
            for (const auto& value : call.at(1).value<QList<widgets::MetricValue>>())
                losses += value.name == "train/loss";
        QCOMPARE(losses, 30);

        widgets::RunListModel model;
        model.setProject(m_project);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(
            model.data(model.index(0, widgets::RunListModel::Status), Qt::DisplayRole).toString(),
            QString("completed"));
        // A pretraining run is judged by its validation loss (and perplexity).
        QVERIFY(model.data(model.index(0, widgets::RunListModel::Best), Qt::DisplayRole)
                    .toString()
                    .contains(QRegularExpression("^val loss [0-9.]+ \\(ppl [0-9.]+\\)$")));
    }

    void pauseHoldsAndCancelLeavesResumableRun()
    {
        QSignalSpy finished(m_worker, &TrainingWorker::finished);
        QSignalSpy progress(m_worker, &TrainingWorker::progress);
        QSignalSpy recorded(m_worker, &TrainingWorker::runRecorded);
        start(test_support::tinyPretrainDocument("worker-test", 100000));
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 3, 30000);
        m_worker->pause();
        QTest::qWait(1000); // the step in flight (and a validation pass) may still finish
        const int held = progress.count();
        QTest::qWait(500);
        QCOMPARE(progress.count(), held); // nothing moves while paused
        m_worker->resume();
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() > held, 30000);
        m_worker->cancel();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.first().at(1).toString(), QString("stopped"));
        const qint64 runId = recorded.first().at(0).toLongLong();

        auto project = store::Project::open(m_project.toStdString());
        const auto checkpoint = project.database().latestCheckpoint(runId);
        QVERIFY(checkpoint.has_value());
        auto document =
            test_support::tinyPretrainDocument("worker-test", int(checkpoint->step) + 3);
        document["resume_from"] = checkpoint->path;
        QSignalSpy again(m_worker, &TrainingWorker::finished);
        QSignalSpy log(m_worker, &TrainingWorker::logLine);
        QSignalSpy recordedAgain(m_worker, &TrainingWorker::runRecorded);
        start(document);
        QTRY_COMPARE_WITH_TIMEOUT(again.count(), 1, 60000); // 3 tiny steps can beat wait()
        QCOMPARE(again.first().at(1).toString(), QString("completed"));
        QCOMPARE(recordedAgain.count(), 1);
        const auto resumedRun = project.database().run(recordedAgain.first().at(0).toLongLong());
        QVERIFY(resumedRun.has_value());
        QCOMPARE(resumedRun->parent, std::optional<store::Id>(runId)); // linked to its origin
        bool resumed = false;
        for (const auto& line : log)
            resumed |= line.at(0).toString().startsWith("resumed at step");
        QVERIFY(resumed);
    }

    void coreErrorsReachTheGui()
    {
        QSignalSpy failed(m_worker, &TrainingWorker::failed);
        QSignalSpy finished(m_worker, &TrainingWorker::finished);
        auto document = test_support::tinyPretrainDocument("worker-test", 5);
        document["training"]["batch_sise"] = 3;
        start(document);
        // Not finished.wait(): the spy records on the worker thread, and a document refused at
        // once can finish before wait() starts listening for the next emission.
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.first().at(0).toString().contains("training.batch_sise: unknown field"),
                 qPrintable(failed.first().at(0).toString()));
    }
};

QTEST_MAIN(TestTrainingWorker)
#include "test_training_worker.moc"
