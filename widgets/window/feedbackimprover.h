// "Improve from feedback" through the studio's own run machinery: plans the improvement
// (core/eval/feedback_improve.h: the feedback dataset, runs/<name>-improve.json and the reward
// document), asks the window to start the reward model's run, and when that run completes writes
// and asks for the DPO (or PPO) run from the checkpoint being improved. Both are ordinary runs:
// they show in the run list ("from #N") and on the dashboard. Holds no thread; the window's
// TrainingWorker trains.
#pragma once

#include <QObject>
#include <QString>

#include <memory>

namespace rlhf::eval {
struct ImproveOptions;
struct ImprovePlan;
} // namespace rlhf::eval

namespace rlhf::widgets {

class FeedbackImprover : public QObject {
    Q_OBJECT
public:
    explicit FeedbackImprover(QObject* parent = nullptr);
    ~FeedbackImprover() override;

    // Plans the improvement in `project` (writes the dataset and the documents), then emits
    // runRequested with the reward model's document. Throws rlhf::Error, having started nothing,
    // when the plan is refused (no pair, no such checkpoint, a document the stage would refuse).
    void start(const QString& project, const eval::ImproveOptions& options);
    bool active() const { return m_stage != Stage::Idle; }
    const eval::ImprovePlan* plan() const { return m_plan.get(); } // null before start

public Q_SLOTS:
    // A run of the studio ended: the improvement's next step if it was one of its runs.
    void onRunFinished(qint64 runId, const QString& status);

Q_SIGNALS:
    void runRequested(const QString& documentJson); // start this stage document
    void logLine(const QString& line);
    // Both runs completed: `improved` is the new checkpoint, `parent` the one it started from
    // (both as the project stores them).
    void finished(const QString& improved, const QString& parent);
    void failed(const QString& message); // a run did not complete, or its document failed

private:
    enum class Stage { Idle, Reward, Policy };

    QString m_project;
    std::unique_ptr<eval::ImprovePlan> m_plan;
    Stage m_stage = Stage::Idle;
};

} // namespace rlhf::widgets
