// Three ways into the labeling queue, each ending in queueGrew().
#include "widgets/labeling/labelqueuebar.h"

#include "core/eval/label_queue.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "widgets/chat/checkpointchoices.h"
#include "widgets/labeling/pairsampler.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>

namespace rlhf::widgets {

namespace {

std::unique_ptr<store::Database> openDatabase(const QString& project)
{
    return std::make_unique<store::Database>(store::ProjectPaths(project.toStdString()).database(),
                                             store::OpenMode::ExistingOnly);
}

} // namespace

LabelQueueBar::LabelQueueBar(QWidget* parent) : QWidget(parent)
{
    qRegisterMetaType<PairSamplingRequest>();
    m_pairDatasets = new QComboBox;
    m_pairDatasets->setToolTip("Preference dataset whose pairs people should judge again");
    m_pairSplit = new QComboBox;
    m_pairSplit->setObjectName("pairSplit");
    for (const char* split : {"train", "val", "test"})
        m_pairSplit->addItem(split, QString(split));
    m_pairSplit->setToolTip("Which split's pairs to queue: train by default, so the val and test "
                            "pairs stay held out from the labels a reward model learns from");
    auto* queuePairs = new QPushButton("Queue its pairs");
    auto* queueBattles = new QPushButton("Queue arena battles");
    m_checkpoints = new QComboBox;
    m_checkpoints->setToolTip("Checkpoint that writes both replies");
    m_promptDatasets = new QComboBox;
    m_promptDatasets->setToolTip("Chat or preference dataset whose prompts are answered");
    m_count = new QSpinBox;
    m_count->setRange(1, 100000);
    m_count->setValue(20);
    m_count->setSuffix(" pairs");
    m_sample = new QPushButton("Sample pairs");
    m_stop = new QPushButton("Stop");
    m_stop->setEnabled(false);
    m_status = new QLabel;
    for (auto* button : {queuePairs, queueBattles, m_sample, m_stop})
        button->setFocusPolicy(Qt::NoFocus); // keys 1-4 and Enter belong to the pane

    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(new QLabel("Imported pairs"), 0, 0);
    auto* pairSource = new QHBoxLayout;
    pairSource->setContentsMargins(0, 0, 0, 0);
    pairSource->addWidget(m_pairDatasets, 1);
    pairSource->addWidget(m_pairSplit);
    grid->addLayout(pairSource, 0, 1);
    grid->addWidget(queuePairs, 0, 2);
    grid->addWidget(queueBattles, 0, 3);
    grid->addWidget(new QLabel("Sample from"), 1, 0);
    grid->addWidget(m_checkpoints, 1, 1);
    grid->addWidget(new QLabel("prompts of"), 1, 2);
    grid->addWidget(m_promptDatasets, 1, 3);
    grid->addWidget(m_count, 1, 4);
    grid->addWidget(m_sample, 1, 5);
    grid->addWidget(m_stop, 1, 6);
    grid->addWidget(m_status, 0, 4, 1, 3);
    grid->setColumnStretch(1, 2);
    grid->setColumnStretch(3, 2);

    connect(queuePairs, &QPushButton::clicked, this, &LabelQueueBar::queueSelectedDataset);
    connect(queueBattles, &QPushButton::clicked, this, &LabelQueueBar::queueArenaBattles);
    connect(m_sample, &QPushButton::clicked, this, &LabelQueueBar::startSampling);
    connect(m_stop, &QPushButton::clicked, this, &LabelQueueBar::stopSampling);

    m_sampler = new PairSampler;
    m_sampler->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_sampler, &QObject::deleteLater);
    connect(m_sampler, &PairSampler::pairQueued, this, [this](qint64 queued, qint64 total) {
        setStatus(QString("sampled %1 of %2 pairs").arg(queued).arg(total));
        Q_EMIT queueGrew();
    });
    auto done = [this](const QString& text, qint64 queued) {
        m_sampling = false;
        m_sample->setEnabled(true);
        m_stop->setEnabled(false);
        setStatus(text);
        Q_EMIT samplingFinished(queued);
    };
    connect(m_sampler, &PairSampler::finished, this, [done](qint64 queued) {
        done(QString("sampling done: %1 new pairs").arg(queued), queued);
    });
    connect(m_sampler, &PairSampler::failed, this,
            [done](const QString& message) { done("sampling failed: " + message, 0); });
    m_thread.start();
}

LabelQueueBar::~LabelQueueBar()
{
    m_sampler->stop();
    m_thread.quit();
    m_thread.wait();
}

void LabelQueueBar::setProject(const QString& project)
{
    // Re-reading the same project keeps the checkpoint chosen; another starts on its default.
    if (project != m_project) m_checkpoints->clear();
    m_project = project;
    m_pairDatasets->clear();
    m_promptDatasets->clear();
    if (project.isEmpty()) {
        m_checkpoints->clear();
        return;
    }
    const auto database = openDatabase(project);
    for (const auto& dataset : database->datasets()) {
        const auto name = QString::fromStdString(dataset.name);
        if (dataset.kind == store::DatasetKind::Preference) m_pairDatasets->addItem(name);
        if (dataset.kind != store::DatasetKind::Text) m_promptDatasets->addItem(name);
    }
    std::vector<CheckpointChoice> choices = checkpointChoices(*database);
    std::erase_if(choices, [](const CheckpointChoice& choice) {
        return !choice.chats; // a reward model does not write replies
    });
    fillCheckpointCombo(*m_checkpoints, choices, defaultCheckpoint(choices));
    if (choices.empty()) m_checkpoints->clear(); // no "(no checkpoint)" entry to sample from
}

void LabelQueueBar::queueSelectedDataset()
{
    if (m_project.isEmpty() || m_pairDatasets->currentText().isEmpty()) return;
    const QString dataset = m_pairDatasets->currentText();
    const QString split = m_pairSplit->currentData().toString();
    try {
        const auto database = openDatabase(m_project);
        const auto added =
            eval::queueDataset(*database, dataset.toStdString(), split.toStdString());
        const auto found = database->datasetByName(dataset.toStdString());
        const auto inSplit = found ? database->documentCount(found->id, split.toStdString()) : 0;
        setStatus(QString("%1 new pairs queued from the %2 split of %3 (%4 pairs in that split)")
                      .arg(added)
                      .arg(split, dataset)
                      .arg(inSplit));
        Q_EMIT queueGrew();
    } catch (const std::exception& error) {
        setStatus(QString("could not queue: %1").arg(error.what()));
    }
}

void LabelQueueBar::queueArenaBattles()
{
    if (m_project.isEmpty()) return;
    try {
        const auto database = openDatabase(m_project);
        setStatus(QString("%1 new pairs from arena battles").arg(eval::queueBattles(*database)));
        Q_EMIT queueGrew();
    } catch (const std::exception& error) {
        setStatus(QString("could not queue: %1").arg(error.what()));
    }
}

void LabelQueueBar::startSampling()
{
    if (m_sampling || m_project.isEmpty()) return;
    if (m_checkpoints->currentIndex() < 0 || m_promptDatasets->currentText().isEmpty()) {
        setStatus("sampling needs a checkpoint and a dataset of prompts");
        return;
    }
    PairSamplingRequest request;
    request.project = m_project;
    request.checkpoint = m_checkpoints->currentData().toString();
    request.dataset = m_promptDatasets->currentText();
    request.count = m_count->value();
    m_sampling = true;
    m_sample->setEnabled(false);
    m_stop->setEnabled(true);
    setStatus("loading the checkpoint…");
    QMetaObject::invokeMethod(m_sampler, "sample", Qt::QueuedConnection,
                              Q_ARG(rlhf::widgets::PairSamplingRequest, request));
}

void LabelQueueBar::stopSampling()
{
    m_sampler->stop();
}

void LabelQueueBar::setStatus(const QString& text)
{
    m_status->setText(text);
}

} // namespace rlhf::widgets
