// The main window's run inspectors (MainWindow members, kept out of mainwindow.cpp): the
// rollout view below the dashboard, which a click on a PPO / GRPO run's point fills, and the health
// panel below the run table, which follows the selected run.
#include "core/store/records.h"
#include "widgets/plots/rundashboard.h"
#include "widgets/window/healthpanel.h"
#include "widgets/window/mainwindow.h"
#include "widgets/window/rolloutview.h"
#include "widgets/window/runlistmodel.h"

#include <QSplitter>
#include <QTableView>

namespace rlhf::widgets {

namespace {

// Only PPO and GRPO runs store rollouts.
bool storesRollouts(const RunListModel& runs, qint64 run)
{
    const int row = runs.rowOfRun(run);
    if (row < 0) return false;
    const auto stage = store::findRunStage(
        runs.data(runs.index(row, RunListModel::Stage), Qt::DisplayRole).toString().toStdString());
    return stage == store::RunStage::Ppo || stage == store::RunStage::Grpo;
}

// Shows the rollout view below the plot. A splitter gives a child that was hidden when it was
// laid out no height at all, so the first showing splits the space 3:2 itself.
void reveal(QWidget* rollouts)
{
    if (!rollouts->isHidden()) return;
    rollouts->setVisible(true);
    auto* splitter = qobject_cast<QSplitter*>(rollouts->parentWidget());
    const int total = splitter->height();
    if (total > 0) // 0 before the first layout, which makes room for the view by itself
        splitter->setSizes({total * 3 / 5, total - total * 3 / 5});
}

} // namespace

QWidget* MainWindow::buildInspectors(QWidget* plotPane)
{
    m_rollouts = new RolloutView;
    m_rollouts->setObjectName("rolloutView");
    m_rollouts->setVisible(false);
    auto* right = new QSplitter(Qt::Vertical);
    right->addWidget(plotPane);
    right->addWidget(m_rollouts);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);

    m_health = new HealthPanel;
    m_health->setObjectName("healthPanel");
    auto* left = new QSplitter(Qt::Vertical);
    left->addWidget(m_runTable);
    left->addWidget(m_health);
    left->setStretchFactor(0, 4);
    left->setStretchFactor(1, 1);

    auto* splitter = new QSplitter;
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 2);
    // The run table's columns fit in ~440 px; the dashboard takes the rest (the splitter keeps
    // this ratio at other widths).
    splitter->setSizes({440, 840});

    connect(m_dashboard, &RunDashboard::pointClicked, this, [this](qint64 run, double step) {
        if (!storesRollouts(*m_runs, run)) return;
        reveal(m_rollouts);
        try {
            m_rollouts->showStep(run, qRound64(step));
        } catch (const std::exception& error) {
            m_rollouts->showMessage(
                tr("Cannot read the rollouts: %1").arg(QString::fromUtf8(error.what())));
        }
    });
    return splitter;
}

void MainWindow::showInspectors()
{
    const QList<int> rows = selectedRows();
    m_health->setRun(rows.isEmpty() ? 0 : m_runs->runId(rows.front()));
    bool rollouts = false, shownSelected = false;
    for (const int row : rows) {
        const qint64 run = m_runs->runId(row);
        rollouts = rollouts || storesRollouts(*m_runs, run);
        shownSelected = shownSelected || run == m_rollouts->shownRun();
    }
    rollouts ? reveal(m_rollouts) : m_rollouts->setVisible(false);
    if (rollouts && !shownSelected)
        m_rollouts->showMessage(tr("Click a point of a PPO or GRPO run on the plot to see that "
                                   "step's rollouts."));
}

} // namespace rlhf::widgets
