// The checkpoints of a project as the chat panes offer them: every run's checkpoints, newest run
// first, each labelled "<run name> · step <n>" with its project-relative folder, then the base
// models ("<name> · base model", their folder absolute when outside the project). A LoRA
// adapter checkpoint is listed under the checkpoint or base model it sits on, indented and
// marked "LoRA" (or, when its base is not offered, where its run is, naming the base). Shared by
// the arena, the single chat and the export dialog.
#pragma once

#include <QString>

#include <vector>

class QComboBox;

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

struct CheckpointChoice {
    QString label; // e.g. "sft lr 1e-4 · step 400"
    QString path;  // project-relative, e.g. "checkpoints/3/step-400"
    QString base;  // a LoRA adapter's base folder (as adapter_config.json names it); else empty
};

std::vector<CheckpointChoice> checkpointChoices(const store::Database& database);

// Refills `combo` (label shown, path as item data), keeping the chosen path when it is still
// offered; a "(no checkpoint)" placeholder when there is none.
void fillCheckpointCombo(QComboBox& combo, const std::vector<CheckpointChoice>& choices);

// The label of `path` among `choices`, or the path itself when it is not one of them.
QString checkpointLabel(const std::vector<CheckpointChoice>& choices, const QString& path);

} // namespace rlhf::widgets
