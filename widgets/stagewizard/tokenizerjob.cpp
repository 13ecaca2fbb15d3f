#include "widgets/stagewizard/tokenizerjob.h"

#include "core/data/token_splits.h"
#include "core/store/project.h"
#include "core/util/error.h"

#include <QThread>

#include <exception>

namespace rlhf::widgets {

struct TokenizerJob::Outcome {
    bool ok = false;
    QString message; // why it failed
    TokenizerResult result;
};

namespace {

// Emits `job.progress` only when the whole percentage of a phase moves.
class ProgressThrottle {
public:
    ProgressThrottle(TokenizerJob& job, const std::atomic<bool>& cancel)
        : m_job(job), m_cancel(cancel)
    {
    }

    bool operator()(const QString& phase, int64_t done, int64_t total)
    {
        const int percent = total > 0 ? int(done * 100 / total) : 0;
        if (phase != m_phase || percent != m_percent) {
            m_phase = phase;
            m_percent = percent;
            Q_EMIT m_job.progress(phase, percent);
        }
        return !m_cancel.load();
    }

private:
    TokenizerJob& m_job;
    const std::atomic<bool>& m_cancel;
    QString m_phase;
    int m_percent = -1;
};

// The job's work, on the worker thread; throws rlhf::Error with its context.
TokenizerResult run(const TokenizerRequest& request, ProgressThrottle& report)
{
    const std::string dataset = request.dataset.toStdString();
    const std::string name = request.name.toStdString();
    auto project = store::Project::open(request.project.toStdString());
    const auto record = project.database().datasetByName(dataset);
    if (!record) throw Error("no dataset named '" + dataset + "' in this project");
    TokenizerResult result;
    result.dataset = request.dataset;
    result.tokenizer = request.name;
    if (request.task == TokenizerTask::TrainAndTokenize) {
        text::TrainConfig config;
        config.vocabSize = uint32_t(request.vocabSize);
        config.pattern = request.pattern;
        withContext("training tokenizer '" + name + "' on dataset '" + dataset + "'", [&] {
            data::trainProjectTokenizer(
                project, record->id, name, config,
                [&](data::TokenizerPhase phase, int64_t done, int64_t total) {
                    return report(phase == data::TokenizerPhase::CountingWords
                                      ? TokenizerJob::tr("Counting words")
                                      : TokenizerJob::tr("Merging"),
                                  done, total);
                });
        });
        result.trained = true;
        result.vocabAsked = request.vocabSize;
    }
    const auto tokenizer = project.database().tokenizer(name);
    if (!tokenizer) throw Error("no tokenizer named '" + name + "' in this project");
    result.vocabLearned = tokenizer->vocabSize;
    const auto splits =
        withContext("tokenizing dataset '" + dataset + "' with tokenizer '" + name + "'", [&] {
            return data::writeTokenSplits(
                project, record->id, name, {}, [&](int64_t done, int64_t total) {
                    return report(TokenizerJob::tr("Tokenizing"), done, total);
                });
        });
    result.trainTokens = splits.trainTokens;
    result.valTokens = splits.valTokens;
    return result;
}

} // namespace

TokenizerJob::TokenizerJob(QObject* parent) : QObject(parent) {}

TokenizerJob::~TokenizerJob()
{
    if (!m_thread) return;
    cancel();
    m_thread->wait();
    delete m_thread;
}

bool TokenizerJob::start(const TokenizerRequest& request)
{
    if (m_thread) return false;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_outcome = std::make_shared<Outcome>();
    m_thread = QThread::create([this, request, cancel = m_cancel, outcome = m_outcome] {
        ProgressThrottle report(*this, *cancel);
        try {
            outcome->result = run(request, report);
            outcome->ok = true;
        } catch (const std::exception& error) {
            outcome->message = QString::fromUtf8(error.what());
        }
    });
    connect(m_thread, &QThread::finished, this, &TokenizerJob::onThreadFinished);
    m_thread->start();
    return true;
}

void TokenizerJob::cancel()
{
    if (m_cancel) m_cancel->store(true);
}

void TokenizerJob::onThreadFinished()
{
    m_thread->wait(); // returns at once: the thread has left its function
    delete m_thread;
    m_thread = nullptr;
    const Outcome outcome = *m_outcome;
    if (outcome.ok)
        Q_EMIT succeeded(outcome.result);
    else
        Q_EMIT failed(outcome.message);
}

} // namespace rlhf::widgets
