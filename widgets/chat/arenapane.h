// The chat arena: two checkpoints answer the same prompts side by side ("Model A" / "Model B"),
// each streaming from its own thread and keeping its own conversation, and a person votes which
// answered better. The pair is chosen per side or drawn at random and hidden; a vote is stored
// as a battle (both whole conversations, both settings) before the names are revealed, so what
// is known cannot sway it. A vote ends the round: the prompt and the votes stay off until "New
// round", so no second vote is cast with the names known. The leaderboard below is recomputed
// after every vote. A fresh pane offers the newest completed run's latest checkpoint against
// another one (checkpointchoices.h).
#pragma once

#include "core/store/label_records.h"
#include "widgets/chat/checkpointchoices.h"

#include <QString>
#include <QWidget>

#include <memory>
#include <random>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

class ChatSide;
class LeaderboardView;

class ArenaPane : public QWidget {
    Q_OBJECT
public:
    // Opens `project`'s database through its own connection. Throws rlhf::Error.
    explicit ArenaPane(const QString& project, QWidget* parent = nullptr);
    ~ArenaPane() override;

    // Re-reads the project's checkpoints into the choosers (after a run saved new ones).
    void refreshCheckpoints();
    // Chooses the two checkpoints (project-relative folders), shown; starts a new round.
    // False when either is not one of the project's checkpoints.
    bool choose(const QString& modelA, const QString& modelB);
    // Draws two different checkpoints at random and hides them until the vote; a new round.
    // False when the project has fewer than two.
    bool drawRandomPair();
    // Puts `first` against `second` (an improved checkpoint against its parent) on sides drawn
    // at random, names hidden until the vote; New round keeps this pair, hidden and shuffled
    // again, until another pair is chosen. False when either is not offered.
    bool compareHidden(const QString& first, const QString& second);
    // Sends the prompt box's text to both sides. False when it is empty, a side has no
    // checkpoint or is still answering, or the round is over.
    bool send();
    // Both sides answer their last user turn again. False when the round is over.
    bool regenerate();
    // Forgets both conversations and opens the prompt and the votes again; a blind round draws
    // a new hidden pair, so it stays blind.
    void newRound();
    // Stores the battle with `vote`, then reveals the names and ends the round. False when
    // voting is not possible now (a side is answering or has not answered, or the round is
    // over: one vote per round).
    bool vote(store::Judgment vote);

    // Who votes, stored with each battle (default: empty).
    void setVoter(const QString& voter) { m_voter = voter; }
    bool namesHidden() const { return m_hidden; }
    bool roundOver() const { return m_roundOver; } // voted; waiting for "New round"
    bool canVote() const;
    qint64 lastBattle() const { return m_lastBattle; } // 0 before the first vote

    ChatSide* sideA() const { return m_sideA; }
    ChatSide* sideB() const { return m_sideB; }
    QComboBox* chooserA() const { return m_chooserA; }
    QComboBox* chooserB() const { return m_chooserB; }
    QLineEdit* promptBox() const { return m_prompt; }
    QPushButton* sendButton() const { return m_send; }
    QPushButton* regenerateButton() const { return m_regenerate; }
    QPushButton* newRoundButton() const { return m_newRound; }
    QPushButton* randomPairButton() const { return m_random; }
    QPushButton* voteButton(store::Judgment vote) const;
    LeaderboardView* leaderboard() const { return m_leaderboard; }
    QLabel* statusLabel() const { return m_status; }

Q_SIGNALS:
    void voted(qint64 battle); // after the battle is stored and the names are revealed

private:
    void chooserChanged();
    void applyChoice(const QString& modelA, const QString& modelB, bool hidden);
    void showNames();
    void updateButtons();
    void refreshLeaderboard();
    QString pathOf(const QComboBox* chooser) const;

    QString m_project;
    std::unique_ptr<store::Database> m_database; // this pane's own connection
    std::vector<CheckpointChoice> m_choices;
    std::mt19937_64 m_rng{std::random_device{}()};
    QString m_voter;
    bool m_blind = false;     // this round's pair was drawn at random; its next one is too
    bool m_hidden = false;    // the names are hidden until the vote
    bool m_roundOver = false; // the round was voted on: no prompt, no vote until a new round
    QString m_pinnedFirst, m_pinnedSecond; // compareHidden's pair, kept by New round
    qint64 m_lastBattle = 0;

    QComboBox* m_chooserA = nullptr; // all widgets owned by this one
    QComboBox* m_chooserB = nullptr;
    QWidget* m_choosers = nullptr; // the two choosers and their labels
    QLabel* m_hiddenNote = nullptr;
    ChatSide* m_sideA = nullptr;
    ChatSide* m_sideB = nullptr;
    QLineEdit* m_prompt = nullptr;
    QPushButton* m_send = nullptr;
    QPushButton* m_regenerate = nullptr;
    QPushButton* m_newRound = nullptr;
    QPushButton* m_random = nullptr;
    QPushButton* m_votes[4] = {}; // by store::Judgment
    QLabel* m_status = nullptr;
    LeaderboardView* m_leaderboard = nullptr;
};

} // namespace rlhf::widgets
