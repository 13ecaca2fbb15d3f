// Trains a tokenizer on a project dataset (or takes one the project already has) and writes the
// dataset's train / validation token files with it on a worker thread: core's
// trainProjectTokenizer then writeTokenSplits, the same calls as `rlhf tokenizer train` and
// `rlhf tokenize`. Progress and the outcome arrive as queued signals on the thread that owns the
// job; cancel stops at the next document or merge. Torch-free.
#pragma once

#include "core/text/pretokenizer.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

class QThread;

namespace rlhf::widgets {

enum class TokenizerTask {
    TrainAndTokenize, // train a new tokenizer `name`, then tokenize the dataset with it
    TokenizeOnly,     // tokenize the dataset with the project's existing tokenizer `name`
};

struct TokenizerRequest {
    QString project; // project folder (holding project.sqlite)
    QString dataset; // dataset name in that project
    QString name;    // the tokenizer: new (TrainAndTokenize) or existing, e.g. "bpe"
    TokenizerTask task = TokenizerTask::TrainAndTokenize;
    int vocabSize = 8192; // all ids: 256 bytes + special tokens + merges, e.g. 8192
    text::PatternFlavour pattern = text::PatternFlavour::Llama3; // how text is cut into words
};

// What a finished job produced.
struct TokenizerResult {
    QString dataset;         // the dataset tokenized
    QString tokenizer;       // its name
    bool trained = false;    // trained by this job (else an existing one was used)
    qint64 vocabAsked = 0;   // the vocabulary size requested; 0 when not trained here
    qint64 vocabLearned = 0; // the tokenizer's vocabulary size: below vocabAsked when the
                             // corpus ran out of pairs to merge
    qint64 trainTokens = 0, valTokens = 0;
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
    void succeeded(const rlhf::widgets::TokenizerResult& result);
    void failed(const QString& message); // the core's message with its context

private:
    struct Outcome; // written by the worker thread, read once it has finished

    void onThreadFinished();

    QThread* m_thread = nullptr; // owned while a job runs; null when idle
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::shared_ptr<Outcome> m_outcome;
};

} // namespace rlhf::widgets
