// Which metrics matter for each training stage: the charts a run dashboard shows first, and the
// held-out number the run list ranks a run by. Stage names are the store's ("pretrain", "sft",
// "reward", "dpo", "ppo", "grpo").
#pragma once

#include <QString>
#include <QStringList>

namespace rlhf::widgets {

// The stage's charts in the order a user reads them: progress first, diagnostics after.
// An unknown stage gets the pretraining list.
QStringList stageMetrics(const QString& stage);

// The number a finished or running run is judged by.
struct BestMetric {
    QString metric; // e.g. "val/loss"
    QString label;  // e.g. "val loss"
    bool lowerIsBetter = true;
};
BestMetric stageBestMetric(const QString& stage);

} // namespace rlhf::widgets
