// "Improve from feedback" as two studio runs (see feedbackimprover.h).
#include "widgets/window/feedbackimprover.h"

#include "core/eval/feedback_improve.h"
#include "core/store/project.h"
#include "core/train/stage_runner.h"

#include <exception>

namespace rlhf::widgets {

FeedbackImprover::FeedbackImprover(QObject* parent) : QObject(parent) {}

FeedbackImprover::~FeedbackImprover() = default;

void FeedbackImprover::start(const QString& project, const eval::ImproveOptions& options)
{
    store::Project opened = store::Project::open(project.toStdString());
    auto plan = std::make_unique<eval::ImprovePlan>(eval::planImprove(
        opened, options, [](const nlohmann::json& document, const std::string& where) {
            train::validateStageDocument(document, where);
        }));
    // The options as given (an empty name stays empty: run again, it picks the next one), and
    // the first run's document, as the CLI writes them.
    eval::writeRunDocument(opened, plan->options.name + "-improve", eval::toJson(options));
    eval::writeRunDocument(opened, eval::rewardRunName(*plan), plan->rewardDocument);
    m_project = project;
    m_plan = std::move(plan);
    m_stage = Stage::Reward;
    for (const std::string& line : m_plan->report.lines())
        Q_EMIT logLine(QString::fromStdString(line));
    Q_EMIT logLine(tr("Improving %1 from feedback: dataset %2 (%3 train, %4 val pairs); the "
                      "reward model starts from %5 (%6)")
                       .arg(QString::fromStdString(m_plan->policy),
                            QString::fromStdString(m_plan->dataset.name))
                       .arg(m_plan->dataset.train)
                       .arg(m_plan->dataset.val)
                       .arg(QString::fromStdString(m_plan->rewardInit),
                            QString::fromStdString(m_plan->rewardNote)));
    Q_EMIT runRequested(QString::fromStdString(m_plan->rewardDocument.dump()));
}

void FeedbackImprover::onRunFinished(qint64 runId, const QString& status)
{
    if (m_stage == Stage::Idle) return;
    const QString name = QString::fromStdString(
        m_stage == Stage::Reward ? eval::rewardRunName(*m_plan) : eval::policyRunName(*m_plan));
    if (status != QLatin1String("completed")) {
        m_stage = Stage::Idle;
        Q_EMIT failed(
            tr("Improve from feedback stopped: run %1 (%2) %3").arg(runId).arg(name, status));
        return;
    }
    try {
        store::Project project = store::Project::open(m_project.toStdString());
        const auto checkpoint = project.database().latestCheckpoint(runId);
        if (!checkpoint) throw std::runtime_error("it saved no checkpoint");
        if (m_stage == Stage::Policy) {
            m_stage = Stage::Idle;
            Q_EMIT logLine(tr("Improved %1 -> %2: compare them in the Arena")
                               .arg(QString::fromStdString(m_plan->policy),
                                    QString::fromStdString(checkpoint->path)));
            Q_EMIT finished(QString::fromStdString(checkpoint->path),
                            QString::fromStdString(m_plan->policy));
            return;
        }
        const nlohmann::json document = eval::policyDocument(*m_plan, checkpoint->path);
        eval::writeRunDocument(project, eval::policyRunName(*m_plan), document);
        m_stage = Stage::Policy;
        Q_EMIT logLine(tr("Reward model refreshed: %1; now %2 from %3")
                           .arg(QString::fromStdString(checkpoint->path),
                                QString::fromStdString(eval::policyRunName(*m_plan)),
                                QString::fromStdString(m_plan->policy)));
        Q_EMIT runRequested(QString::fromStdString(document.dump()));
    } catch (const std::exception& error) {
        m_stage = Stage::Idle;
        Q_EMIT failed(tr("Improve from feedback stopped after run %1 (%2): %3")
                          .arg(runId)
                          .arg(name, QString::fromUtf8(error.what())));
    }
}

} // namespace rlhf::widgets
