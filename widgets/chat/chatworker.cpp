// A checkpoint answering on its own thread (see chatworker.h).
#include "widgets/chat/chatworker.h"

#include <QElapsedTimer>

#include <exception>

namespace rlhf::widgets {

ChatWorker::ChatWorker(const QString& checkpoint, QObject* parent)
    : QObject(parent), m_checkpoint(checkpoint)
{
}

ChatWorker::~ChatWorker() = default;

void ChatWorker::cancel(qint64 request)
{
    qint64 current = m_cancelledUpTo.load();
    while (current < request && !m_cancelledUpTo.compare_exchange_weak(current, request)) {
    }
}

void ChatWorker::generate(qint64 request, const std::vector<data::Message>& dialogue,
                          const gen::SamplingSettings& settings)
{
    const auto cancelled = [&] { return request <= m_cancelledUpTo.load(); };
    if (cancelled()) return Q_EMIT finished(request, QString(), 0, 0);
    try {
        if (!m_model) {
            Q_EMIT loading(request);
            m_model = std::make_unique<chat::ChatModel>(m_checkpoint.toStdString());
        }
        QElapsedTimer clock;
        clock.start();
        qint64 firstNs = -1, lastNs = 0;
        qint64 pieces = 0;
        const std::string reply = m_model->reply(dialogue, settings, [&](const std::string& text) {
            lastNs = clock.nsecsElapsed();
            if (firstNs < 0) firstNs = lastNs;
            ++pieces;
            Q_EMIT piece(request, QString::fromStdString(text));
            return !cancelled();
        });
        const double msToFirst = firstNs < 0 ? 0.0 : double(firstNs) / 1e6;
        // The rate after the first piece: the first one also pays for reading the prompt.
        double perSecond = 0;
        if (settings.beams <= 1 && pieces > 1 && lastNs > firstNs)
            perSecond = double(pieces - 1) / (double(lastNs - firstNs) / 1e9);
        Q_EMIT finished(request, QString::fromStdString(reply), msToFirst, perSecond);
    } catch (const std::exception& error) {
        Q_EMIT failed(request, QString::fromUtf8(error.what()));
    }
}

} // namespace rlhf::widgets
