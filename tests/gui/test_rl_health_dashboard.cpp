// The studio's dashboard of a finished GRPO run charts the RL health signals: the share of
// groups whose replies all scored alike, the truncation rate, the clip fractions below and above
// the range, and the ratio and per-token KL quantiles, each with the run's points, beside the
// health panel's warnings. By default the run is a few real GRPO steps on a tiny seeded model of
// the arithmetic project; with RLHF_RL_HEALTH_PROJECT=<project folder> it is that project's
// newest GRPO run (the README's picture comes from `rlhf demo`'s project this way).
// Saves build/screenshots/rl-health.png.
#include "core/store/project.h"
#include "core/train/stage_runner.h"
#include "tests/support/arithmetic_project.h"
#include "widgets/plots/metricplot.h"
#include "widgets/plots/rundashboard.h"
#include "widgets/window/healthpanel.h"
#include "widgets/window/mainwindow.h"
#include "widgets/window/rolloutview.h"
#include "widgets/window/runlistmodel.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QListWidget>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QtTest>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace rlhf;
namespace fs = std::filesystem;

namespace {

// Eight steps of GRPO from the project's random tiny Llama: its replies are stray bytes, and an
// upper-case letter in one earns 0.5, so some groups spread and many do not.
nlohmann::json tinyGrpo(const std::string& init)
{
    return {{"stage", "grpo"},
            {"name", "grpo-health"},
            {"init", init},
            {"data", {{"dataset", "arith-prompts"}, {"train", "train"}}},
            {"optimizer", {{"lr", 0.01}, {"warmup_steps", 0}}},
            {"training",
             {{"steps", 8},
              {"batch_size", 4},
              {"seed", 7},
              {"threads", 1},
              {"precision", "fp32"},
              {"log_every", 1},
              {"eval_every", 0},
              {"checkpoint_every", 0}}},
            {"reward",
             {{"rules",
               {{{"rule", "exact_answer"}, {"weight", 1.0}},
                {{"rule", "regex"}, {"pattern", "[A-Z]"}, {"weight", 0.5}}}}}},
            {"rollout", {{"max_new_tokens", 6}, {"group_size", 4}}},
            {"policy", {{"clip_range_high", 0.28}}},
            {"eval", {{"prompts", 0}}}};
}

} // namespace

class TestRlHealthDashboard : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_project;
    store::Id m_run = 0;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        m_project = qEnvironmentVariable("RLHF_RL_HEALTH_PROJECT");
        if (m_project.isEmpty()) {
            const fs::path root = fs::path(m_dir.path().toStdString()) / "project";
            const std::string init = fixtures::writeArithmeticProject(root);
            train::StageObserver quiet;
            train::StopToken stop;
            const auto report = train::runStage(root, tinyGrpo(init), "grpo.json", quiet, stop);
            QCOMPARE(report.status, std::string("completed"));
            m_project = QString::fromStdString(root.string());
        }
        const auto runs =
            store::Project::open(m_project.toStdString()).database().runs(); // creation order
        for (auto run = runs.rbegin(); run != runs.rend() && m_run == 0; ++run)
            if (run->stage == store::RunStage::Grpo) m_run = run->id;
        QVERIFY2(m_run != 0, qPrintable(m_project + " has no GRPO run"));
    }

    void dashboardChartsTheHealthSignals()
    {
        widgets::MainWindow window;
        window.resize(1600, 1100);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.openProject(m_project));
        window.runTable()->selectRow(window.runModel()->rowOfRun(m_run));
        widgets::RunDashboard* dashboard = window.dashboard();
        dashboard->setColumns(4);
        dashboard->redrawNow();

        const QStringList charts = dashboard->chartMetrics();
        for (const char* metric :
             {"rl/zero_spread_groups", "rl/truncation_rate", "rl/clip_fraction_low",
              "rl/clip_fraction_high", "rl/ratio_p05", "rl/ratio_p95", "rl/kl_p50", "rl/kl_p95"}) {
            QVERIFY2(charts.contains(metric), metric);
            QVERIFY2(!window.plot(metric)->allRows().isEmpty(), metric);
            QCOMPARE(window.plot(metric)->emptyNote(), QString());
        }
        // The health signals come before the losses and the distributions.
        QVERIFY(charts.indexOf("rl/zero_spread_groups") < charts.indexOf("rl/policy_loss"));
        QVERIFY(window.healthPanel()->list()->count() >= 1); // its warnings, or "No warnings"

        // The picture: the dashboard alone on the right (log closed, the rollout list dragged
        // away), scrolled to the rows of the health signals and the distributions.
        for (QDockWidget* dock : window.findChildren<QDockWidget*>())
            dock->hide();
        auto* split = qobject_cast<QSplitter*>(window.rolloutView()->parentWidget());
        QVERIFY(split);
        split->setSizes({split->height(), 0});
        QApplication::processEvents();
        auto* area = dashboard->findChild<QScrollArea*>();
        const auto* row = dashboard->findChild<QWidget*>("chart:rl/entropy"); // zero spread's row
        QVERIFY(area && row);
        area->verticalScrollBar()->setValue(row->mapTo(area->widget(), QPoint(0, 0)).y() - 4);
        dashboard->redrawNow();
        QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
        QVERIFY(window.grab().save(RLHF_BINARY_DIR "/screenshots/rl-health.png"));
    }
};

QTEST_MAIN(TestRlHealthDashboard)
#include "test_rl_health_dashboard.moc"
