// One checkpoint answering on its own thread for the chat panes: the GUI thread never runs the
// model. Owns one chat::ChatModel, loaded on the worker thread by the first request (so a bad
// checkpoint becomes failed(), not a frozen window). Pieces of the reply arrive as queued
// signals. Every request carries the caller's id, so a side can tell a stale answer from the
// current one; cancel() stops a running request between tokens or skips a queued one.
#pragma once

#include "core/chat/chat_model.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

namespace rlhf::widgets {

class ChatWorker : public QObject {
    Q_OBJECT
public:
    // `checkpoint`: the folder's absolute path. Loads nothing yet.
    explicit ChatWorker(const QString& checkpoint, QObject* parent = nullptr);
    ~ChatWorker() override;

    QString checkpoint() const { return m_checkpoint; }

    // Thread-safe: stops `request` and every earlier one, running or still queued. The stopped
    // request still ends with finished(), its reply cut where it stopped.
    void cancel(qint64 request);

public Q_SLOTS:
    // The next assistant reply to `dialogue` (ending with a user turn). Runs on the worker's
    // thread; call it through a queued invocation.
    void generate(qint64 request, const std::vector<rlhf::data::Message>& dialogue,
                  const rlhf::gen::SamplingSettings& settings);

Q_SIGNALS:
    void loading(qint64 request); // the checkpoint is being read (first request only)
    void piece(qint64 request, const QString& text);
    // The whole reply. msToFirstToken: from the start of generation (after loading) to the
    // first piece; tokensPerSecond: streamed pieces (one per token while every token completes
    // its characters) per second after the first, 0 for a beam search (no stream).
    void finished(qint64 request, const QString& reply, double msToFirstToken,
                  double tokensPerSecond);
    void failed(qint64 request, const QString& message); // the core's message

private:
    QString m_checkpoint;
    std::unique_ptr<chat::ChatModel> m_model; // null until the first request loads it
    std::atomic<qint64> m_cancelledUpTo{0};
};

} // namespace rlhf::widgets
