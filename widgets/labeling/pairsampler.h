// Fills the labeling queue with fresh pairs: two sampled replies of one checkpoint to each
// prompt of a dataset, generated on the sampler's own thread ahead of the labeler and committed
// to the project database one pair at a time, so the labeling pane can show each as it lands.
#pragma once

#include <QObject>
#include <QString>

#include <atomic>

namespace rlhf::widgets {

struct PairSamplingRequest {
    QString project;    // project folder
    QString checkpoint; // project-relative checkpoint folder, e.g. "checkpoints/run-2/step-000300"
    QString dataset;    // chat or preference dataset whose prompts are used
    QString split;      // e.g. "train"; empty: "train"
    qint64 count = 20;  // pairs to make at most
    double temperature = 1.0;
    qint64 maxNewTokens = 64;
    quint64 seed = 1;
};

class PairSampler : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    // Thread-safe: ends sample() after the pair being generated.
    void stop() { m_stop = true; }

public Q_SLOTS:
    // Runs on the sampler's thread until `count` new pairs are queued, the prompts run out or
    // stop() is called. Prompts already sampled with this checkpoint and seed are skipped.
    void sample(const rlhf::widgets::PairSamplingRequest& request);

Q_SIGNALS:
    void pairQueued(qint64 queued, qint64 total); // after each committed pair
    void finished(qint64 queued);
    void failed(const QString& message);

private:
    std::atomic<bool> m_stop{false};
};

} // namespace rlhf::widgets

Q_DECLARE_METATYPE(rlhf::widgets::PairSamplingRequest)
