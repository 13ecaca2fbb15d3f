// The checkpoints of a project as the chat panes offer them: every run's checkpoints, newest run
// first, each labelled "<run name> · step <n>" with its project-relative folder, then the base
// models ("<name> · base model", their folder absolute when outside the project). A LoRA
// adapter checkpoint is listed under the checkpoint or base model it sits on, indented and
// marked "LoRA" (or, when its base is not offered, where its run is, naming the base). Shared by
// the arena, the single chat, the labeling queue's sampler and the export dialog. The default
// choice is the latest checkpoint of the newest completed run that chats, not the list's order.
#pragma once

#include "core/store/records.h"

#include <QString>

#include <vector>

class QComboBox;

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

struct CheckpointChoice {
    QString label;     // e.g. "sft lr 1e-4 · step 400"
    QString path;      // project-relative, e.g. "checkpoints/3/step-400"
    QString base;      // a LoRA adapter's base folder (as adapter_config.json names it); else empty
    store::Id run = 0; // the run that saved it; 0: a base model
    store::Id parentRun = 0; // the run whose checkpoint that run started from; 0: none
    // The checkpoint its run started from (its document's "init"), as the document names it,
    // e.g. "checkpoints/2/step-000015"; empty for a base model, a pretraining run, or a run
    // whose document names none.
    QString from;
    int64_t step = 0;       // its training step (0 for a base model)
    bool completed = false; // its run completed all its steps (not running, stopped or failed)
    bool chats = true;      // false for a reward model's checkpoint: a scalar head, no replies
};

std::vector<CheckpointChoice> checkpointChoices(const store::Database& database);

// The path a chat pane starts on: the latest checkpoint of the newest completed run that chats;
// without one the first choice that chats (a base model, a run still going); empty when none.
QString defaultCheckpoint(const std::vector<CheckpointChoice>& choices);
// The arena's opponent for `first`: another chatting choice, preferably from another model: the
// latest checkpoint of the run `first`'s run started from, else the newest checkpoint of
// another run or a base model, else another step of the same run. Empty when there is none.
QString opponentCheckpoint(const std::vector<CheckpointChoice>& choices, const QString& first);

// Refills `combo` (label shown, path as item data), keeping the chosen path when it is still
// offered, else choosing `preferred` when offered, else the first; a "(no checkpoint)" entry
// when there is none.
void fillCheckpointCombo(QComboBox& combo, const std::vector<CheckpointChoice>& choices,
                         const QString& preferred = {});

// The label of `path` among `choices`, or the path itself when it is not one of them.
QString checkpointLabel(const std::vector<CheckpointChoice>& choices, const QString& path);

} // namespace rlhf::widgets
