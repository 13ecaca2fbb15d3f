// One side of a chat: its conversation as a transcript (user and assistant turns styled apart,
// the reply growing as it streams), its generation settings behind a collapsible button, and a
// status line ("first token 42 ms · 310 tok/s"). Owns the ChatWorker of its checkpoint on its
// own thread, so two sides stream at once. The arena holds two, the single chat one. A ratable
// side (the single chat) shows "▲ Good" and "▼ Bad" links under each finished reply and the
// rating its owner set; it stores nothing itself.
#pragma once

#include "core/data/record.h"
#include "core/gen/sampling_settings.h"
#include "core/store/label_records.h"

#include <QString>
#include <QTimer>
#include <QWidget>

#include <map>
#include <optional>
#include <vector>

class QLabel;
class QTextBrowser;
class QThread;
class QToolButton;
class QUrl;

namespace rlhf::widgets {

class ChatSettingsEditor;
class ChatWorker;

class ChatSide : public QWidget {
    Q_OBJECT
public:
    explicit ChatSide(const QString& title, QWidget* parent = nullptr);
    ~ChatSide() override;

    void setTitle(const QString& title);
    QString title() const;

    // The checkpoint folder (absolute) that answers; empty: none. A new checkpoint gets a new
    // worker (loaded on its first reply) and stops a reply in progress; the conversation stays.
    void setCheckpoint(const QString& folder);
    QString checkpoint() const { return m_checkpoint; }

    // Appends a user turn and asks for the reply. False (nothing done) while a reply is being
    // generated, without a checkpoint, or for an empty text.
    bool send(const QString& userText);
    // Asks again for the last reply (the one after the last user turn), replacing it.
    bool regenerate();
    // Forgets the conversation (stopping a reply in progress).
    void clear();

    bool busy() const { return m_running != 0; }
    // Whether the conversation ends with a finished assistant reply.
    bool replied() const;
    const std::vector<data::Message>& conversation() const { return m_conversation; }
    gen::SamplingSettings settings() const;
    void setSettings(const gen::SamplingSettings& settings);
    // Streamed pieces received over the side's life (every request), for tests and counters.
    qint64 piecesReceived() const { return m_pieces; }

    // Ratings shown under the replies (the single chat): a click on a reply's link asks for
    // a rating with rateRequested; the owner stores it and shows it with setRating.
    void setRatable(bool ratable);
    bool ratable() const { return m_ratable; }
    // The rating shown for the assistant reply at `turn` (an index into conversation()).
    void setRating(int turn, std::optional<store::Rating> rating);
    std::optional<store::Rating> rating(int turn) const;
    // The index of the last finished assistant reply; -1 when there is none (or one streams).
    int lastReplyTurn() const;

    ChatSettingsEditor* settingsEditor() const { return m_settings; }
    QTextBrowser* transcript() const { return m_transcript; }
    QLabel* statusLabel() const { return m_status; }
    QString transcriptText() const; // the transcript as plain text

Q_SIGNALS:
    void pieceReceived(const QString& text);
    void replyFinished(const QString& reply);
    void replyFailed(const QString& message);
    void busyChanged(bool busy);
    // A rating link of the reply at `turn` was clicked.
    void rateRequested(int turn, rlhf::store::Rating rating);
    // The turns from `turn` on left the conversation (a regenerated reply, Clear): their
    // ratings are gone from the view; the stored ones stay.
    void turnsDropped(int turn);

private:
    void ask();
    void stopWorker(bool wait);
    void render();
    void setBusy(qint64 request);
    void onPiece(qint64 request, const QString& text);
    void onFinished(qint64 request, const QString& reply, double msToFirst, double perSecond);
    void onFailed(qint64 request, const QString& message);
    void dropTurnsFrom(size_t turn);
    void onAnchor(const QUrl& link);

    QLabel* m_title = nullptr; // all widgets owned by this one
    QTextBrowser* m_transcript = nullptr;
    QToolButton* m_settingsButton = nullptr;
    ChatSettingsEditor* m_settings = nullptr;
    QLabel* m_status = nullptr;
    QTimer m_renderSoon; // single shot: streamed pieces are drawn at most every 30 ms

    QString m_checkpoint;
    QThread* m_thread = nullptr;               // owned; runs m_worker
    ChatWorker* m_worker = nullptr;            // lives on m_thread; deleted when it finishes
    std::vector<data::Message> m_conversation; // finished turns
    QString m_partial;                         // the reply streaming in, not yet in m_conversation
    qint64 m_request = 0;                      // the latest request's id (0: none yet)
    qint64 m_running = 0;                      // the id of the request still waited for (0: none)
    qint64 m_pieces = 0;
    bool m_ratable = false;
    std::map<int, store::Rating> m_ratings; // shown ratings, by turn
};

} // namespace rlhf::widgets
