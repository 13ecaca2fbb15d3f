// Runs a computation off the GUI thread (QtConcurrent's pool) and hands its result back to the
// GUI thread, one at a time: a request made while one runs waits, and a newer request replaces
// a waiting one, so only the latest settings get computed. The destructor waits for the running
// computation, so the work may use whatever it captured by value, never the widget itself.
#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

#include <functional>
#include <optional>
#include <utility>

namespace rlhf::widgets {

template <typename Result> class LatestJob {
public:
    // `done` runs on `context`'s (GUI) thread with each result whose request is the latest.
    LatestJob(QObject* context, std::function<void(const Result&)> done) : m_done(std::move(done))
    {
        QObject::connect(&m_watcher, &QFutureWatcherBase::finished, context, [this] {
            m_started = false;
            if (m_waiting) {
                start(std::exchange(m_waiting, std::nullopt).value());
                return; // the finished result is already stale
            }
            m_done(m_watcher.result());
        });
    }
    ~LatestJob() { m_watcher.waitForFinished(); }
    LatestJob(const LatestJob&) = delete;
    LatestJob& operator=(const LatestJob&) = delete;

    void request(std::function<Result()> work)
    {
        if (m_started)
            m_waiting = std::move(work);
        else
            start(std::move(work));
    }
    // True from a request until its result was handed to `done` (or replaced).
    bool busy() const { return m_started || m_waiting.has_value(); }

private:
    void start(std::function<Result()> work)
    {
        m_started = true;
        m_watcher.setFuture(QtConcurrent::run(std::move(work)));
    }

    std::function<void(const Result&)> m_done;
    std::optional<std::function<Result()>> m_waiting;
    bool m_started = false; // a computation runs, or its finished() is not handled yet
    QFutureWatcher<Result> m_watcher;
};

} // namespace rlhf::widgets
