// The run list as a user reads it: each run's best held-out value in its stage's terms (val loss
// and perplexity for pretraining, val accuracy for DPO, sampled accuracy for GRPO; no
// perplexity for DPO), "resumed #N" only for real resumes and "from #N" for a run started from
// another's checkpoint, "paused" while the live run is, and best values that follow live metrics.
#include "core/store/project.h"
#include "widgets/window/runlistmodel.h"

#include <QtTest>

using namespace rlhf;
using widgets::RunListModel;

class TestRunListModel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;
    store::Id m_pretrain = 0, m_resumed = 0, m_dpo = 0, m_grpo = 0;

    static QString cell(const RunListModel& model, store::Id run, int column,
                        int role = Qt::DisplayRole)
    {
        return model.data(model.index(model.rowOfRun(run), column), role).toString();
    }

    static void add(store::Database& db, store::Id run, std::vector<store::MetricPoint> points)
    {
        db.appendMetrics(run, points);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_project = m_dir.filePath("runs");
        auto project = store::Project::create(m_project.toStdString());
        store::Database& db = project.database();
        m_pretrain = db.createRun(store::RunStage::Pretrain, "base", "{}");
        add(db, m_pretrain,
            {{10, "val/loss", 2.0},
             {20, "val/loss", 1.5},
             {30, "val/loss", 1.75},
             {30, "train/loss", 0.1}});
        db.finishRun(m_pretrain, store::RunStatus::Completed);
        m_resumed = db.createRun(store::RunStage::Pretrain, "base",
                                 R"({"resume_from": "checkpoints/run-1/step-000030"})", m_pretrain);
        m_dpo = db.createRun(store::RunStage::Dpo, "dpo",
                             R"({"init": "checkpoints/run-1/step-000030"})", m_pretrain);
        add(db, m_dpo,
            {{5, "val/accuracy", 0.5},
             {10, "val/accuracy", 0.75},
             {15, "val/accuracy", 0.625},
             {15, "val/loss", 0.01}});
        m_grpo = db.createRun(store::RunStage::Grpo, "grpo", "{}", m_dpo);
        add(db, m_grpo, {{5, "eval/accuracy_sampled", 0.25}});
    }

    void bestAndFromFitTheStage()
    {
        RunListModel model;
        model.setProject(m_project);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.headerData(RunListModel::Best, Qt::Horizontal, Qt::DisplayRole).toString(),
                 QString("Best"));
        QCOMPARE(cell(model, m_pretrain, RunListModel::Best), QString("val loss 1.500 (ppl 4.5)"));
        // DPO: the best (highest) preference accuracy, no perplexity of its tiny DPO val loss.
        QCOMPARE(cell(model, m_dpo, RunListModel::Best), QString("val accuracy 0.750"));
        QCOMPARE(cell(model, m_grpo, RunListModel::Best), QString("val accuracy (sampled) 0.250"));
        QCOMPARE(cell(model, m_resumed, RunListModel::Best), QString("-"));

        QCOMPARE(cell(model, m_pretrain, RunListModel::From), QString());
        QCOMPARE(cell(model, m_resumed, RunListModel::From),
                 QString("resumed #%1").arg(m_pretrain));
        QCOMPARE(cell(model, m_dpo, RunListModel::From), QString("from #%1").arg(m_pretrain));
        QVERIFY(model.isResume(model.rowOfRun(m_resumed)));
        QVERIFY(!model.isResume(model.rowOfRun(m_dpo)));
        QVERIFY(cell(model, m_dpo, RunListModel::From, Qt::ToolTipRole).startsWith("Started from"));
    }

    void pausedAndLiveBest()
    {
        RunListModel model;
        model.setProject(m_project);
        QCOMPARE(cell(model, m_grpo, RunListModel::Status), QString("running"));
        model.setPausedRun(m_grpo);
        QCOMPARE(cell(model, m_grpo, RunListModel::Status), QString("paused"));
        QCOMPARE(cell(model, m_pretrain, RunListModel::Status), QString("completed"));
        model.setPausedRun(0);
        QCOMPARE(cell(model, m_grpo, RunListModel::Status), QString("running"));

        QSignalSpy changed(&model, &RunListModel::dataChanged);
        model.noteMetric(m_grpo, "eval/accuracy_sampled", 0.5); // better: shown at once
        QCOMPARE(cell(model, m_grpo, RunListModel::Best), QString("val accuracy (sampled) 0.500"));
        QCOMPARE(changed.size(), 1);
        model.noteMetric(m_grpo, "eval/accuracy_sampled", 0.375); // worse: kept
        model.noteMetric(m_grpo, "rl/kl", 9.0);                   // not the judged metric
        QCOMPARE(cell(model, m_grpo, RunListModel::Best), QString("val accuracy (sampled) 0.500"));
        QCOMPARE(changed.size(), 1);
        model.noteMetric(m_resumed, "val/loss", 1.25);
        QVERIFY(cell(model, m_resumed, RunListModel::Best).startsWith("val loss 1.250"));
    }
};

QTEST_MAIN(TestRunListModel)
#include "test_run_list_model.moc"
