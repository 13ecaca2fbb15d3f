// Several worker processes from the studio: a ProcessRunner starts the real `rlhf train --nproc 2`
// on a tiny pretraining run of a real project, follows it from the database (run recorded, every
// step's loss, progress) and reports it completed; Cancel (Ctrl-C to the launcher) stops every
// rank after its step, with a checkpoint and a stopped run; a document the CLI refuses ends as
// failed with the CLI's message.
#include "core/store/database.h"
#include "core/store/project.h"
#include "core/store/token_file.h"
#include "tests/support/tiny_pretrain_document.h"
#include "widgets/window/processrunner.h"

#include <nlohmann/json.hpp>

#include <QSignalSpy>
#include <QtTest>

#include <filesystem>
#include <fstream>

using namespace rlhf;
using rlhf::widgets::ProcessRunner;

namespace {

// One thread a rank: two ranks share this machine's cores.
nlohmann::json tinyDocument(const char* name, int steps)
{
    nlohmann::json document = test_support::tinyPretrainDocument(name, steps);
    document["training"]["threads"] = 1;
    return document;
}

} // namespace

class TestProcessRunner : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;

    QString writeDocument(const nlohmann::json& document)
    {
        const QString file = m_dir.filePath(QString::fromStdString(document.at("name")) + ".json");
        std::ofstream(file.toStdString()) << document.dump();
        return file;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_project = m_dir.filePath("project");
        auto project = store::Project::create(m_project.toStdString());
        test_support::writeTinyPretrainTokens(project);
    }

    void followsTwoProcessesToTheEnd()
    {
        ProcessRunner runner;
        runner.setExecutable(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"));
        QSignalSpy recorded(&runner, &ProcessRunner::runRecorded);
        QSignalSpy metrics(&runner, &ProcessRunner::metrics);
        QSignalSpy progress(&runner, &ProcessRunner::progress);
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        runner.start(m_project, writeDocument(tinyDocument("two-ranks", 12)), 2, 12);
        QVERIFY(finished.wait(180'000));
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("completed"));
        QCOMPARE(recorded.count(), 1);
        const qint64 run = recorded.first().at(0).toLongLong();
        QCOMPARE(finished.first().at(0).toLongLong(), run);
        int losses = 0;
        for (const auto& call : metrics)
            for (const auto& value : call.at(1).value<QList<widgets::MetricValue>>())
                losses += value.name == "train/loss";
        QCOMPARE(losses, 12); // every step once, however the polls fell
        QCOMPARE(progress.last().at(0).toLongLong(), qint64(12));

        const store::Database database(store::ProjectPaths(m_project.toStdString()).database());
        QCOMPARE(database.metricSeries(run, "train/loss").size(), size_t(12));
        QVERIFY(database.latestCheckpoint(run));
    }

    void cancelStopsEveryRank()
    {
        ProcessRunner runner;
        runner.setExecutable(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"));
        QSignalSpy metrics(&runner, &ProcessRunner::metrics);
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        runner.start(m_project, writeDocument(tinyDocument("cancelled", 100'000)), 2, 100'000);
        QVERIFY(metrics.wait(180'000)); // training has begun
        runner.cancel();
        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("stopped"));
        const store::Database database(store::ProjectPaths(m_project.toStdString()).database());
        const qint64 run = finished.first().at(0).toLongLong();
        QVERIFY(database.latestCheckpoint(run)); // resumable from where it stopped
    }

    void refusedDocumentFails()
    {
        ProcessRunner runner;
        runner.setExecutable(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"));
        QSignalSpy failed(&runner, &ProcessRunner::failed);
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        nlohmann::json document = tinyDocument("refused", 4);
        document["training"]["stepz"] = 3;
        runner.start(m_project, writeDocument(document), 2, 4);
        QVERIFY(finished.wait(120'000));
        QCOMPARE(finished.first().at(1).toString(), QStringLiteral("failed"));
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.first().at(0).toString().contains("stepz"),
                 qPrintable(failed.first().at(0).toString()));
    }
};

QTEST_MAIN(TestProcessRunner)
#include "test_process_runner.moc"
