// The checkpoints a chat pane offers (see checkpointchoices.h).
#include "widgets/chat/checkpointchoices.h"

#include "core/store/database.h"

#include <QComboBox>
#include <QSignalBlocker>

#include <algorithm>

namespace rlhf::widgets {

std::vector<CheckpointChoice> checkpointChoices(const store::Database& database)
{
    std::vector<CheckpointChoice> choices;
    std::vector<store::Run> runs = database.runs();
    std::reverse(runs.begin(), runs.end()); // the newest run first: usually the one to try
    for (const store::Run& run : runs) {
        const QString name = QString::fromStdString(run.name);
        std::vector<store::Checkpoint> checkpoints = database.checkpoints(run.id);
        std::reverse(checkpoints.begin(), checkpoints.end()); // latest step first
        for (const store::Checkpoint& checkpoint : checkpoints)
            choices.push_back({QStringLiteral("%1 · step %2").arg(name).arg(checkpoint.step),
                               QString::fromStdString(checkpoint.path)});
    }
    for (const store::BaseModel& model : database.models()) // Hugging Face models as they came
        choices.push_back(
            {QStringLiteral("%1 · base model").arg(QString::fromStdString(model.name)),
             QString::fromStdString(model.path)});
    return choices;
}

void fillCheckpointCombo(QComboBox& combo, const std::vector<CheckpointChoice>& choices)
{
    const QString chosen = combo.currentData().toString();
    const QSignalBlocker blocker(combo); // the caller decides what a refill changes
    combo.clear();
    for (const CheckpointChoice& choice : choices) {
        combo.addItem(choice.label, choice.path);
        combo.setItemData(combo.count() - 1, choice.path, Qt::ToolTipRole);
    }
    if (choices.empty()) combo.addItem(QObject::tr("(no checkpoint)"), QString());
    const int index = combo.findData(chosen);
    combo.setCurrentIndex(index >= 0 ? index : 0);
}

QString checkpointLabel(const std::vector<CheckpointChoice>& choices, const QString& path)
{
    for (const CheckpointChoice& choice : choices)
        if (choice.path == path) return choice.label;
    return path;
}

} // namespace rlhf::widgets
