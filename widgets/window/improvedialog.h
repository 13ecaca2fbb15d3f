// Run > Improve from Feedback… (and the Chat tab's button): what the project's feedback makes
// (pairs from thumbs and arena votes, and what could not become a pair, in the report's words),
// the model to improve (the chat's checkpoint unless another is chosen), DPO or PPO, steps and
// batch size. Start gives the options that FeedbackImprover runs; the dialog writes nothing.
#pragma once

#include "widgets/chat/checkpointchoices.h"

#include <QDialog>
#include <QString>

#include <vector>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QSpinBox;

namespace rlhf::eval {
struct ImproveOptions;
}

namespace rlhf::widgets {

class ImproveDialog : public QDialog {
    Q_OBJECT
public:
    // Reads `project`'s checkpoints and feedback; `checkpoint` (project-relative) is offered
    // first. Throws rlhf::Error when the project cannot be read.
    ImproveDialog(const QString& project, const QString& checkpoint, QWidget* parent = nullptr);

    eval::ImproveOptions options() const;
    qint64 pairCount() const { return m_pairs; } // with the arena setting as it is now

    QComboBox* modelChooser() const { return m_model; }
    QComboBox* methodChooser() const { return m_method; }
    QCheckBox* arenaVotes() const { return m_arena; }
    QLabel* reportLabel() const { return m_report; }
    QDialogButtonBox* buttons() const { return m_buttons; }

private:
    void refreshReport();

    QString m_project;
    std::vector<CheckpointChoice> m_choices;
    qint64 m_pairs = 0;
    QComboBox* m_model = nullptr; // all widgets owned by the dialog
    QComboBox* m_method = nullptr;
    QSpinBox* m_rewardSteps = nullptr;
    QSpinBox* m_policySteps = nullptr;
    QSpinBox* m_batch = nullptr;
    QCheckBox* m_arena = nullptr;
    QLabel* m_report = nullptr;
    QDialogButtonBox* m_buttons = nullptr;
};

} // namespace rlhf::widgets
