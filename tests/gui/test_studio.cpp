// The studio as a user drives it: open a real project, walk the stage wizard to a tiny pretrain
// run with keyboard and clicks, watch points arrive in the live plot, pause and resume, cancel,
// resume the cancelled run from the run table, and save screenshots of the window while it
// trains (build/screenshots/*.png, the README's pictures).
#include "core/store/project.h"
#include "core/store/token_file.h"
#include "core/text/bpe_trainer.h"
#include "core/text/tokenizer_json.h"
#include "widgets/plots/metricplot.h"
#include "widgets/plots/qcustomplot_include.h"
#include "widgets/stagewizard/stagewizard.h"
#include "widgets/window/mainwindow.h"
#include "widgets/window/runlistmodel.h"
#include "tests/support/walk_stage_wizard.h"

#include <QAbstractButton>
#include <QApplication>
#include <QDir>
#include <QSettings>
#include <QTableView>
#include <QTimer>
#include <QtTest>

using namespace rlhf;
using widgets::MainWindow;

class TestStudio : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;

    // build/screenshots/<name>.png offscreen, xvfb-<name>.png under a real X server (Xvfb).
    static void screenshot(QWidget& window, const QString& name)
    {
        QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
        const QString prefix =
            QGuiApplication::platformName() == QLatin1String("xcb") ? "xvfb-" : QString();
        const QString file = RLHF_BINARY_DIR "/screenshots/" + prefix + name + ".png";
        QVERIFY(window.grab().save(file));
    }

    static qsizetype pointsOf(MainWindow& window, qint64 run, const QString& metric)
    {
        qsizetype count = 0;
        if (const widgets::MetricPlot* plot = window.plot(metric)) // the dashboard's chart
            for (const auto& row : plot->allRows())
                count += row.run == run;
        return count;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // QSettings go to a test location
        QSettings().clear();
        m_project = m_dir.filePath("demo");
        auto project = store::Project::create(m_project.toStdString());
        const auto dataset =
            project.database().addDataset("notes", store::DatasetKind::Text, "test");
        text::TrainConfig tokenizerConfig;
        tokenizerConfig.vocabSize = 300;
        text::BpeTrainer trainer(tokenizerConfig);
        trainer.addText(
            "the studio trains a tokenizer on a little text, the studio plots its loss");
        text::saveTokenizerJson(trainer.train(), project.paths().tokenizers() / "bpe.json");
        project.database().addTokenizer("bpe", "tokenizers/bpe.json", 300);
        for (auto split : {store::TokenSplit::Train, store::TokenSplit::Validation}) {
            store::TokenFileWriter writer(project.paths().tokenFile("notes", "bpe", split));
            for (uint32_t i = 0; i < 20000; ++i)
                writer.append((i * 7 + i / 3) % 64);
            writer.commit();
        }
        (void)dataset;
    }

    void wizardToLivePlotPauseCancelResume()
    {
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openProject(m_project));

        // Walk the wizard: a tiny model, many steps so there is time to pause and cancel.
        bool walked = false;
        QTimer::singleShot(0, [&] {
            auto* wizard = qobject_cast<widgets::StageWizard*>(QApplication::activeModalWidget());
            QVERIFY(wizard);
            QVERIFY(test_support::walkToTinyRun(*wizard, "studio-test"));
            screenshot(*wizard, "wizard-summary");
            wizard->accept();
            walked = true;
        });
        window.newRun();
        QVERIFY(walked);
        QVERIFY(window.isTraining());

        QTRY_VERIFY_WITH_TIMEOUT(window.runModel()->rowCount() == 1, 20000);
        const qint64 run = window.runModel()->runId(0);
        QTRY_VERIFY_WITH_TIMEOUT(pointsOf(window, run, "train/loss") >= 10, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(pointsOf(window, run, "val/loss") >= 1, 60000);
        window.plot()->redrawNow();
        QVERIFY(window.plot()->plot()->graphCount() > 0);
        screenshot(window, "studio-training");

        window.togglePause();
        // The run table says so (the store keeps 'running': the process still owns the run).
        QCOMPARE(
            window.runModel()
                ->data(window.runModel()->index(0, widgets::RunListModel::Status), Qt::DisplayRole)
                .toString(),
            QString("paused"));
        QTest::qWait(1500); // the step in flight (and a validation pass) may still finish
        const auto held = pointsOf(window, run, "train/loss");
        QTest::qWait(600);
        QCOMPARE(pointsOf(window, run, "train/loss"), held);
        window.togglePause();
        QTRY_VERIFY_WITH_TIMEOUT(pointsOf(window, run, "train/loss") > held, 30000);

        QSignalSpy finished(&window, &MainWindow::runFinished);
        window.cancelRun();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.first().at(1).toString(), QString("stopped"));
        QCOMPARE(
            window.runModel()
                ->data(window.runModel()->index(0, widgets::RunListModel::Status), Qt::DisplayRole)
                .toString(),
            QString("stopped"));

        window.runTable()->selectRow(0);
        window.resumeSelectedRun();
        QVERIFY(window.isTraining());
        QTRY_VERIFY_WITH_TIMEOUT(window.runModel()->rowCount() == 2, 20000);
        const qint64 resumed = window.runModel()->runId(1);
        // The resumed run is a new row that names the run it continues.
        QCOMPARE(window.runModel()->parentRunId(1), run);
        QCOMPARE(window.runModel()->parentRunId(0), qint64(0));
        QCOMPARE(
            window.runModel()
                ->data(window.runModel()->index(1, widgets::RunListModel::From), Qt::DisplayRole)
                .toString(),
            QString("resumed #%1").arg(run));
        QCOMPARE(store::Project::open(m_project.toStdString()).database().run(resumed)->parent,
                 std::optional<store::Id>(run));
        QTRY_VERIFY_WITH_TIMEOUT(pointsOf(window, resumed, "train/loss") >= 3, 60000);
        screenshot(window, "studio-resumed");
        window.cancelRun();
        QVERIFY(finished.wait(60000));
    }
};

QTEST_MAIN(TestStudio)
#include "test_studio.moc"
