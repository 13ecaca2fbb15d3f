// The run inspectors of the studio's main window on a real project: a click on a PPO run's plot
// point lists that step's rollouts (or the nearest stored step's, saying so), a drag pans
// without a click, and the health panel shows kl_exploding for a run whose KL reaches 20 and
// "No warnings" for a healthy one, re-reading a live run at most once a second. Saves
// build/screenshots/rollouts.png.
#include "core/store/project.h"
#include "widgets/plots/metricplot.h"
#include "widgets/plots/rundashboard.h"
#include "widgets/plots/qcustomplot_include.h"
#include "widgets/window/healthpanel.h"
#include "widgets/window/mainwindow.h"
#include "widgets/window/rolloutmodel.h"
#include "widgets/window/rolloutview.h"
#include "widgets/window/runlistmodel.h"

#include <QComboBox>
#include <QDir>
#include <QListWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QTableView>
#include <QtTest>

using namespace rlhf;
using widgets::MainWindow;
using widgets::RolloutModel;

namespace {

store::Rollout rollout(const char* prompt, const char* response, double score, double kl,
                       std::optional<double> trueScore, std::vector<double> tokenKl)
{
    store::Rollout row;
    row.prompt = prompt;
    row.response = response;
    row.score = score;
    row.kl = kl;
    row.reward = score - 0.1 * kl;
    row.trueScore = trueScore;
    row.tokenKl = std::move(tokenKl);
    return row;
}

// The rows of one step, numbered 0, 1, ... as a stage stores them.
std::vector<store::Rollout> numbered(std::vector<store::Rollout> rows)
{
    for (std::size_t i = 0; i < rows.size(); ++i)
        rows[i].index = int64_t(i);
    return rows;
}

// The rl/kl series of a run over steps 1..10, and rl/score = step / 10.
void addMetrics(store::Database& database, store::Id run, double klPerStep)
{
    std::vector<store::MetricPoint> points;
    for (int step = 1; step <= 10; ++step) {
        points.push_back({step, "rl/score", step / 10.0, 1000.0 + step});
        points.push_back({step, "rl/kl", klPerStep * step, 1000.0 + step});
    }
    database.appendMetrics(run, points);
}

QString cell(const RolloutModel& model, int row, int column, int role = Qt::DisplayRole)
{
    return model.data(model.index(row, column), role).toString();
}

QStringList healthLines(const widgets::HealthPanel& panel)
{
    QStringList lines;
    for (int i = 0; i < panel.list()->count(); ++i)
        lines.append(panel.list()->item(i)->text());
    return lines;
}

} // namespace

class TestRolloutView : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;
    store::Id m_exploding = 0; // ppo, rl/kl = 2 * step: 12 > 10 at step 6; rollouts at 5, 10
    store::Id m_healthy = 0;   // ppo, rl/kl = 0.01 * step
    store::Id m_pretrain = 0;  // no rollouts

    // The pixel of a run's raw rl/score point at `step` on the main window's plot.
    static QPoint pixelOf(MainWindow& window, int step)
    {
        QCustomPlot* custom = window.plot("rl/score")->plot();
        return QPoint(int(std::lround(custom->xAxis->coordToPixel(step))),
                      int(std::lround(custom->yAxis->coordToPixel(step / 10.0))));
    }

    static void selectRun(MainWindow& window, store::Id run)
    {
        window.runTable()->selectRow(window.runModel()->rowOfRun(run));
        window.dashboard()->redrawNow(); // axes and graphs for the new selection, before any click
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        m_project = m_dir.filePath("rl");
        auto project = store::Project::create(m_project.toStdString());
        store::Database& database = project.database();
        m_exploding = database.createRun(store::RunStage::Ppo, "ppo-hot", "{}");
        addMetrics(database, m_exploding, 2.0);
        const std::vector<store::Rollout> step5 = numbered({
            rollout("What is 1+1?", "2", 1.0, 0.25, 1.0, {0.25}),
            rollout("What is 9-4?", "6", 0.0, 0.75, 0.0, {0.5, 0.25}),
        });
        database.addRollouts(m_exploding, 5, step5);
        const std::vector<store::Rollout> step10 = numbered({
            rollout("What is 2+3?", "2+3 = 5\nso 5", 0.75, 1.5, 1.0, {0.125, 0.5, 0.875}),
            rollout("Name a colour.", "blue", 0.25, 0.5, std::nullopt, {0.5}),
            rollout("What is 7*6?", "42", 0.5, 1.0, 1.0, {1.0}),
        });
        database.addRollouts(m_exploding, 10, step10);
        m_healthy = database.createRun(store::RunStage::Ppo, "ppo-calm", "{}");
        addMetrics(database, m_healthy, 0.01);
        m_pretrain = database.createRun(store::RunStage::Pretrain, "base", "{}");
    }

    void clickShowsTheStepsRollouts()
    {
        MainWindow window;
        window.resize(1280, 860);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openProject(m_project));
        // The rl/score chart alone (a PPO run's first chart), big enough to aim at a point.
        window.dashboard()->maximise("rl/score");

        widgets::RolloutView* view = window.rolloutView();
        selectRun(window, m_pretrain);
        QVERIFY(!view->isVisible()); // a pretrain run stores no rollouts
        selectRun(window, m_exploding);
        QVERIFY(view->isVisible());
        QVERIFY2(view->height() > 200, qPrintable(QString::number(view->height()))); // 2/5 of 800
        QCOMPARE(view->model()->rowCount(), 0);

        QCustomPlot* custom = window.plot("rl/score")->plot();
        QSignalSpy clicks(window.plot("rl/score"), &widgets::MetricPlot::pointClicked);
        QTest::mouseClick(custom, Qt::LeftButton, {}, pixelOf(window, 10));
        QCOMPARE(clicks.size(), 1);
        QCOMPARE(clicks[0][0].toLongLong(), qint64(m_exploding));
        QCOMPARE(clicks[0][1].toDouble(), 10.0);

        const RolloutModel& model = *view->model();
        QCOMPARE(view->shownStep(), 10);
        QCOMPARE(model.rowCount(), 3);
        // Means of the three rows: score (0.75 + 0.25 + 0.5) / 3, KL (1.5 + 0.5 + 1) / 3.
        QCOMPARE(
            view->headerText(),
            QString("Run #%1 step 10: 3 rollouts, mean score 0.5, mean KL 1").arg(m_exploding));
        QCOMPARE(cell(model, 0, RolloutModel::Index), QString("0"));
        QCOMPARE(cell(model, 0, RolloutModel::Prompt), QString("What is 2+3?"));
        QCOMPARE(cell(model, 0, RolloutModel::Response), QString("2+3 = 5 ⏎ so 5"));
        QCOMPARE(cell(model, 0, RolloutModel::Score), QString("0.750"));
        QCOMPARE(cell(model, 0, RolloutModel::Reward), QString("0.600")); // 0.75 - 0.1 * 1.5
        QCOMPARE(cell(model, 0, RolloutModel::Kl), QString("1.500"));
        QCOMPARE(cell(model, 0, RolloutModel::TrueScore), QString("1.000"));
        QCOMPARE(cell(model, 1, RolloutModel::Response), QString("blue"));
        QCOMPARE(cell(model, 1, RolloutModel::TrueScore), QString()); // unknown: blank
        const QString tip = cell(model, 0, RolloutModel::Response, Qt::ToolTipRole);
        QVERIFY2(tip.contains("2+3 = 5\nso 5") && tip.contains("(3 tokens)") &&
                     tip.contains("0.125  0.500  0.875"),
                 qPrintable(tip));
        QVERIFY(cell(model, 0, RolloutModel::Prompt, Qt::ToolTipRole).contains("What is 2+3?"));

        QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
        QVERIFY(window.grab().save(RLHF_BINARY_DIR "/screenshots/rollouts.png"));

        // Step 7 stored none: step 5 is nearer (2 steps) than step 10 (3 steps).
        QTest::mouseClick(custom, Qt::LeftButton, {}, pixelOf(window, 7));
        QCOMPARE(clicks.size(), 2);
        QCOMPARE(clicks[1][1].toDouble(), 7.0);
        QCOMPARE(view->shownStep(), 5);
        QCOMPARE(model.rowCount(), 2);
        QVERIFY2(view->headerText().startsWith("Step 7 stored no rollouts; showing the nearest"),
                 qPrintable(view->headerText()));
        QVERIFY2(view->headerText().contains(
                     QString("Run #%1 step 5: 2 rollouts, mean score 0.5, mean KL 0.5")
                         .arg(m_exploding)),
                 qPrintable(view->headerText()));
        QCOMPARE(cell(model, 1, RolloutModel::Prompt), QString("What is 9-4?"));
        QCOMPARE(cell(model, 1, RolloutModel::Response), QString("6"));
        QCOMPARE(cell(model, 1, RolloutModel::TrueScore), QString("0.000"));

        // Step 8 is nearer step 10.
        QTest::mouseClick(custom, Qt::LeftButton, {}, pixelOf(window, 8));
        QCOMPARE(view->shownStep(), 10);

        // A drag pans the plot and is no click.
        const QPoint from = pixelOf(window, 3);
        QTest::mousePress(custom, Qt::LeftButton, {}, from);
        QTest::mouseMove(custom, from + QPoint(60, 0));
        QTest::mouseRelease(custom, Qt::LeftButton, {}, from + QPoint(60, 0));
        QCOMPARE(clicks.size(), 3);
    }

    void healthPanelShowsWarnings()
    {
        MainWindow window;
        window.resize(1280, 860);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openProject(m_project));
        widgets::HealthPanel* panel = window.healthPanel();

        selectRun(window, m_exploding);
        QCOMPARE(panel->run(), qint64(m_exploding));
        QCOMPARE(panel->list()->count(), 1);
        QListWidgetItem* item = panel->list()->item(0);
        QVERIFY2(item->text().startsWith("kl_exploding: "), qPrintable(item->text()));
        QVERIFY2(item->toolTip().contains("step 6"), qPrintable(item->toolTip())); // 12 > 10
        QVERIFY(item->foreground().color() != panel->list()->palette().text().color());

        selectRun(window, m_healthy);
        QCOMPARE(panel->run(), qint64(m_healthy));
        QCOMPARE(healthLines(*panel), QStringList{"No warnings"});

        // The live run's metrics: a burst within a second of the last read waits for the second.
        {
            auto project = store::Project::open(m_project.toStdString());
            const std::vector<store::MetricPoint> hot = {{11, "rl/kl", 20.0, 1011.0}};
            project.database().appendMetrics(m_healthy, hot);
        }
        panel->refreshSoon();
        QCOMPARE(healthLines(*panel), QStringList{"No warnings"}); // not read yet
        QTRY_VERIFY_WITH_TIMEOUT(healthLines(*panel).size() == 1 &&
                                     healthLines(*panel)[0].startsWith("kl_exploding: "),
                                 1500);
    }
};

QTEST_MAIN(TestRolloutView)
#include "test_rollout_view.moc"
