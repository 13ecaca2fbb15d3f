// Trains a tokenizer on a project dataset and writes its train / validation token files on a
// worker thread: core's trainProjectTokenizer then writeTokenSplits, the same calls as
// `rlhf tokenizer train` and `rlhf tokenize`. Progress and the outcome arrive as queued signals
// on the thread that owns the job; cancel stops at the next document or merge. Torch-free.
#pragma once

#include "core/text/pretokenizer.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

class QThread;

namespace rlhf::widgets {

struct TokenizerRequest {
    QString project;      // project folder (holding project.sqlite)
    QString dataset;      // dataset name in that project
    QString name;         // name of the new tokenizer, e.g. "bpe"
    int vocabSize = 8192; // all ids: 256 bytes + special tokens + merges, e.g. 8192
    text::PatternFlavour pattern = text::PatternFlavour::Llama3; // how text is cut into words
};

class TokenizerJob : public QObject {
    Q_OBJECT

public:
    explicit TokenizerJob(QObject* parent = nullptr);
    ~TokenizerJob() override; // cancels a running job and waits for its thread

    // Starts the job; returns false (and does nothing) while one is running.
    bool start(const TokenizerRequest& request);
    void cancel(); // the job fails with "... cancelled" at its next check
    bool isRunning() const { return m_thread != nullptr; }

Q_SIGNALS:
    // `phase` is "Counting words", "Merging" or "Tokenizing"; emitted when `percent` changes.
    void progress(const QString& phase, int percent);
    // Exactly one of these ends each started job, after its thread has finished.
    void succeeded(const QString& tokenizer, qint64 trainTokens, qint64 valTokens);
    void failed(const QString& message); // the core's message with its context

private:
    struct Outcome; // written by the worker thread, read once it has finished

    void onThreadFinished();

    QThread* m_thread = nullptr; // owned while a job runs; null when idle
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::shared_ptr<Outcome> m_outcome;
};

} // namespace rlhf::widgets
