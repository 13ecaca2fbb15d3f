// Chat with one checkpoint: a chooser of the project's checkpoints, one ChatSide (transcript,
// settings, speed), a prompt box, Regenerate and Clear. The quick way to try what a run made:
// it starts on the newest completed run's latest checkpoint.
#pragma once

#include "widgets/chat/checkpointchoices.h"

#include <QString>
#include <QWidget>

#include <vector>

class QComboBox;
class QLineEdit;
class QPushButton;

namespace rlhf::widgets {

class ChatSide;

class SingleChatPane : public QWidget {
    Q_OBJECT
public:
    // Reads `project`'s checkpoints through its own short-lived connection. Throws rlhf::Error.
    explicit SingleChatPane(const QString& project, QWidget* parent = nullptr);

    // Re-reads the project's checkpoints into the chooser.
    void refreshCheckpoints();
    // Chooses a checkpoint (project-relative folder); false when the project has no such one.
    bool choose(const QString& checkpoint);
    // Sends the prompt box's text; false when it is empty or a reply is still coming.
    bool send();

    ChatSide* side() const { return m_side; }
    QComboBox* chooser() const { return m_chooser; }
    QLineEdit* promptBox() const { return m_prompt; }
    QPushButton* sendButton() const { return m_send; }
    QPushButton* regenerateButton() const { return m_regenerate; }
    QPushButton* clearButton() const { return m_clear; }

private:
    void chooserChanged();
    void updateButtons();

    QString m_project;
    std::vector<CheckpointChoice> m_choices;
    QComboBox* m_chooser = nullptr; // all widgets owned by this one
    ChatSide* m_side = nullptr;
    QLineEdit* m_prompt = nullptr;
    QPushButton* m_send = nullptr;
    QPushButton* m_regenerate = nullptr;
    QPushButton* m_clear = nullptr;
};

} // namespace rlhf::widgets
