// The selected run's health warnings (see healthpanel.h).
#include "widgets/window/healthpanel.h"

#include "core/store/database.h"
#include "core/store/project.h"
#include "core/train/health_checks.h"

#include <QApplication>
#include <QLabel>
#include <QListWidget>
#include <QStyle>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

constexpr int kThrottleMs = 1000;              // at most one re-read of the metrics a second
const QColor kWarningColour(0xb3, 0x54, 0x00); // dark orange: readable on white and on grey

} // namespace

HealthPanel::HealthPanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(2);
    m_title = new QLabel(this);
    m_list = new QListWidget(this);
    m_list->setObjectName("healthList");
    m_list->setWordWrap(true);
    m_list->setSelectionMode(QAbstractItemView::NoSelection);
    layout->addWidget(m_title);
    layout->addWidget(m_list, 1);
    m_throttle.setSingleShot(true);
    connect(&m_throttle, &QTimer::timeout, this, &HealthPanel::refresh);
    refresh();
}

HealthPanel::~HealthPanel() = default;

void HealthPanel::setProject(const QString& project)
{
    m_database.reset();
    if (!project.isEmpty()) {
        const store::ProjectPaths paths(project.toStdString());
        m_database =
            std::make_unique<store::Database>(paths.database(), store::OpenMode::ExistingOnly);
    }
    refresh();
}

void HealthPanel::setRun(qint64 run)
{
    m_run = run;
    refresh();
}

void HealthPanel::refreshSoon()
{
    if (m_throttle.isActive()) return; // a refresh is due already
    const qint64 elapsed = m_sinceRefresh.isValid() ? m_sinceRefresh.elapsed() : kThrottleMs;
    if (elapsed >= kThrottleMs)
        refresh();
    else
        m_throttle.start(int(kThrottleMs - elapsed));
}

void HealthPanel::refresh()
{
    m_throttle.stop();
    m_sinceRefresh.start();
    m_list->clear();
    m_title->setText(m_run ? tr("<b>Health of run #%1</b>").arg(m_run) : tr("<b>Run health</b>"));
    if (!m_database || m_run == 0) {
        m_list->addItem(tr("No run selected"));
        return;
    }
    std::vector<train::HealthWarning> warnings;
    try {
        // train::runHealth does the same, but its header brings LibTorch into this widget.
        const auto run = m_database->run(m_run);
        warnings = train::checkRunHealth(
            [this](std::string_view name) {
                std::vector<train::SeriesPoint> points;
                for (const auto& sample : m_database->metricSeries(m_run, name))
                    points.push_back({sample.step, sample.value});
                return points;
            },
            run ? run->stage : store::RunStage::Pretrain);
    } catch (const std::exception& error) {
        m_list->addItem(
            tr("Cannot read the run's metrics: %1").arg(QString::fromUtf8(error.what())));
        return;
    }
    if (warnings.empty()) {
        m_list->addItem(tr("No warnings"));
        return;
    }
    const QIcon icon = style()->standardIcon(QStyle::SP_MessageBoxWarning);
    for (const train::HealthWarning& warning : warnings) {
        auto* item = new QListWidgetItem(
            icon, QStringLiteral("%1: %2").arg(QString::fromStdString(warning.check),
                                               QString::fromStdString(warning.message)));
        item->setForeground(kWarningColour);
        item->setToolTip(tr("%1, first seen at step %2")
                             .arg(QString::fromStdString(warning.check))
                             .arg(warning.step));
        m_list->addItem(item);
    }
}

} // namespace rlhf::widgets
