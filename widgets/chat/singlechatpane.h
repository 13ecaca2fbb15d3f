// Chat with one checkpoint: a chooser of the project's checkpoints, one ChatSide (transcript,
// settings, speed), a prompt box, Regenerate and Clear. The quick way to try what a run made:
// it starts on the newest completed run's latest checkpoint. Each reply can be rated thumbs up
// or down (the links under it, the Good / Bad buttons or Ctrl+Up / Ctrl+Down for the last one;
// the same rating again removes it): the rating is stored in the project (store::Feedback, with
// the conversation before the reply, the checkpoint and its settings) before it is shown. A
// regenerated reply is a new row, so one prompt collects a liked and a disliked reply: the pairs
// that "Improve from feedback" trains on.
#pragma once

#include "core/store/label_records.h"
#include "widgets/chat/checkpointchoices.h"

#include <QString>
#include <QWidget>

#include <map>
#include <memory>
#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QToolButton;

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

class ChatSide;

class SingleChatPane : public QWidget {
    Q_OBJECT
public:
    // Reads `project`'s checkpoints through its own short-lived connection. Throws rlhf::Error.
    explicit SingleChatPane(const QString& project, QWidget* parent = nullptr);
    ~SingleChatPane() override;

    // Re-reads the project's checkpoints into the chooser.
    void refreshCheckpoints();
    // Chooses a checkpoint (project-relative folder); false when the project has no such one.
    bool choose(const QString& checkpoint);
    // Sends the prompt box's text; false when it is empty or a reply is still coming.
    bool send();

    // Rates the reply at `turn` (an index into the conversation): stores a new row, changes the
    // stored rating, or, when it has this rating already, removes it. False when `turn` is no
    // finished reply or the database refused (the feedback line says why).
    bool rate(int turn, store::Rating rating);
    bool rateLastReply(store::Rating rating); // the buttons' and keys' action
    // The stored row of the reply at `turn`, if it is rated.
    std::optional<store::Id> feedbackRow(int turn) const;
    // Who rates, stored with each rating (the labeling pane's annotator; default: empty).
    void setRater(const QString& rater) { m_rater = rater; }
    // Re-reads how many replies of the project are rated, into the feedback line.
    void refreshFeedbackCount();

    ChatSide* side() const { return m_side; }
    QComboBox* chooser() const { return m_chooser; }
    QLineEdit* promptBox() const { return m_prompt; }
    QPushButton* sendButton() const { return m_send; }
    QPushButton* regenerateButton() const { return m_regenerate; }
    QPushButton* clearButton() const { return m_clear; }
    QToolButton* goodButton() const { return m_good; }
    QToolButton* badButton() const { return m_bad; }
    QPushButton* improveButton() const { return m_improve; }
    QLabel* feedbackLabel() const { return m_feedback; }

Q_SIGNALS:
    // "Improve from feedback…": the checkpoint chatted with (project-relative) is the default
    // model to improve.
    void improveRequested(const QString& checkpoint);
    void rated(qint64 row); // a rating was stored, changed or removed

private:
    void chooserChanged();
    void updateButtons();
    void forgetTurnsFrom(int turn);

    QString m_project;
    std::unique_ptr<store::Database> m_database; // this pane's own connection
    std::vector<CheckpointChoice> m_choices;
    QString m_rater;
    std::map<int, store::Id> m_rows; // the stored row of each rated turn
    QComboBox* m_chooser = nullptr;  // all widgets owned by this one
    ChatSide* m_side = nullptr;
    QLineEdit* m_prompt = nullptr;
    QPushButton* m_send = nullptr;
    QPushButton* m_regenerate = nullptr;
    QPushButton* m_clear = nullptr;
    QToolButton* m_good = nullptr;
    QToolButton* m_bad = nullptr;
    QPushButton* m_improve = nullptr;
    QLabel* m_feedback = nullptr;
};

} // namespace rlhf::widgets
