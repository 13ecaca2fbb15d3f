// The rollouts behind a plot point (see rolloutview.h).
#include "widgets/window/rolloutview.h"

#include "core/store/database.h"
#include "core/store/project.h"
#include "widgets/window/rolloutmodel.h"

#include <algorithm>
#include <cstdlib>

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

constexpr int kTextColumnWidth = 320; // px at most for the prompt column at first

// The stored step closest to `step` (the earlier one on a tie); `steps` ascending, not empty.
qint64 nearestStep(const std::vector<int64_t>& steps, qint64 step)
{
    const auto after = std::lower_bound(steps.begin(), steps.end(), step);
    if (after == steps.end()) return steps.back();
    if (after == steps.begin()) return *after;
    const auto before = after - 1;
    return std::llabs(*after - step) < std::llabs(step - *before) ? *after : *before;
}

} // namespace

RolloutView::RolloutView(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    m_header = new QLabel(this);
    m_header->setObjectName("rolloutHeader");
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_header->setWordWrap(true);
    m_header->setContentsMargins(4, 0, 4, 0);
    m_model = new RolloutModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    QHeaderView* header = m_table->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setSectionResizeMode(RolloutModel::Response, QHeaderView::Stretch); // the longest text
    header->setStretchLastSection(false);
    layout->addWidget(m_header);
    layout->addWidget(m_table, 1);
    showMessage(tr("Click a point on the plot to see that step's rollouts."));
}

RolloutView::~RolloutView() = default;

void RolloutView::setProject(const QString& project)
{
    m_database.reset();
    if (project.isEmpty()) return;
    const store::ProjectPaths paths(project.toStdString());
    m_database = std::make_unique<store::Database>(paths.database(), store::OpenMode::ExistingOnly);
}

void RolloutView::showMessage(const QString& message)
{
    m_model->setRollouts({});
    m_step = 0;
    m_header->setText(message);
}

void RolloutView::showStep(qint64 run, qint64 step)
{
    m_run = run;
    if (!m_database) return showMessage(tr("No project is open."));
    const std::vector<int64_t> steps = m_database->rolloutSteps(run);
    if (steps.empty())
        return showMessage(tr("Run #%1 stored no rollouts (only PPO and GRPO runs do).").arg(run));
    const qint64 shown = nearestStep(steps, step);
    std::vector<store::Rollout> rollouts = m_database->rollouts(run, shown);
    double score = 0, kl = 0;
    for (const store::Rollout& rollout : rollouts) {
        score += rollout.score;
        kl += rollout.kl;
    }
    const auto count = qsizetype(rollouts.size());
    QString text = tr("Run #%1 step %2: %3 rollouts, mean score %4, mean KL %5")
                       .arg(run)
                       .arg(shown)
                       .arg(count)
                       .arg(count ? score / double(count) : 0.0, 0, 'g', 4)
                       .arg(count ? kl / double(count) : 0.0, 0, 'g', 4);
    if (shown != step)
        text = tr("Step %1 stored no rollouts; showing the nearest step that did.").arg(step) +
               "\n" + text;
    m_model->setRollouts(std::move(rollouts));
    m_step = shown;
    m_header->setText(text);
    m_table->resizeColumnsToContents();
    m_table->setColumnWidth(RolloutModel::Prompt,
                            std::min(m_table->columnWidth(RolloutModel::Prompt), kTextColumnWidth));
}

QString RolloutView::headerText() const
{
    return m_header->text();
}

} // namespace rlhf::widgets
