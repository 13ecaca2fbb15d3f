#include "widgets/stagewizard/stagewizard.h"

#include "core/train/dpo_config.h"
#include "core/train/pretrain_config.h"
#include "core/train/reward_config.h"
#include "core/train/rl_config.h"
#include "core/train/stage_runner.h"
#include "widgets/stagewizard/lorafields.h"
#include "widgets/stagewizard/modelpresets.h"
#include "widgets/stagewizard/wizarddatapage.h"
#include "widgets/stagewizard/wizarddpopage.h"
#include "widgets/stagewizard/wizardmodelpage.h"
#include "widgets/stagewizard/wizardoptimisationpage.h"
#include "widgets/stagewizard/wizardrewardmodelpage.h"
#include "widgets/stagewizard/wizardrewardpage.h"
#include "widgets/stagewizard/wizardrunpage.h"
#include "widgets/stagewizard/wizardstagepage.h"
#include "widgets/stagewizard/wizardstartpage.h"
#include "widgets/stagewizard/wizardsummarypage.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QMessageBox>
#include <QSaveFile>

#include <exception>

namespace rlhf::widgets {

namespace {

double number(const QVariant& text)
{
    return QLocale::c().toDouble(text.toString()); // the fields hold C-locale text, e.g. "3e-4"
}

using store::RunStage;

bool isRl(RunStage stage)
{
    return stage == RunStage::Ppo || stage == RunStage::Grpo;
}

// The optimizer and training blocks, the same fields for every stage.
void readOptions(const QWizard& wizard, const WizardRunPage& run, train::TrainingOptions& config)
{
    auto field = [&](const char* name) { return wizard.field(QLatin1String(name)); };
    config.schedule.peak = number(field("lr"));
    config.schedule.minimum = number(field("minLr"));
    config.schedule.warmupSteps = field("warmupSteps").toInt();
    config.optimizer.weightDecay = number(field("weightDecay"));
    config.gradClip = number(field("gradClip"));
    config.steps = field("steps").toInt();
    config.schedule.totalSteps = config.steps;
    config.batchSize = field("batchSize").toInt();
    config.gradAccumulation = field("gradAccumulation").toInt();
    config.seed = uint64_t(field("seed").toInt());
    run.apply(config);
}

} // namespace

StageWizard::StageWizard(const QString& projectPath, std::vector<model::GpuInfo> gpus,
                         QWidget* parent)
    : QWizard(parent), m_projectPath(QDir(projectPath).absolutePath())
{
    setWindowTitle(tr("New training run"));
    setOption(QWizard::NoBackButtonOnStartPage);
    setButtonText(QWizard::FinishButton, tr("Start run"));
    resize(720, 620);
    m_stage = new WizardStagePage(m_projectPath, this);
    m_data = new WizardDataPage(m_projectPath, this);
    m_model = new WizardModelPage(m_data, this);
    m_run = new WizardRunPage(std::move(gpus), this);
    m_start = new WizardStartPage(m_projectPath, m_stage, this);
    m_dpo = new WizardDpoPage(this);
    m_rewardModel = new WizardRewardModelPage(m_projectPath, this);
    m_reward = new WizardRewardPage(m_projectPath, m_stage, this);
    setPage(StagePage, m_stage);
    setPage(DataPage, m_data);
    setPage(ModelPage, m_model);
    setPage(StartPage, m_start);
    setPage(DpoPage, m_dpo);
    setPage(RewardModelPage, m_rewardModel);
    setPage(RewardPage, m_reward);
    auto* optimisation = new WizardOptimisationPage(m_model, this);
    setPage(OptimisationPage, optimisation);
    setPage(RunPage, m_run);
    setPage(SummaryPage, new WizardSummaryPage(this, this));
    m_model->setBatchSize(field(QStringLiteral("batchSize")).toInt());
    // LoRA on by default for a model whose full fine-tuning would not fit even one sequence.
    m_start->setLoraSuggestion([this](const model::ModelConfig& shape) {
        return trainingMemoryBytes(shape, 1, /*activationCheckpointing=*/true) >
               m_run->deviceMemoryBytes();
    });
    connect(optimisation, &WizardOptimisationPage::batchSizeChanged, m_model,
            &WizardModelPage::setBatchSize);
}

int64_t StageWizard::parameterCount(const model::ModelConfig& config)
{
    return model::parameterCount(config);
}

RunStage StageWizard::stage() const
{
    return m_stage->stage();
}

int StageWizard::nextId() const
{
    const RunStage stage = this->stage();
    switch (currentId()) {
    case StagePage:
        return stage == RunStage::Pretrain ? DataPage : StartPage;
    case StartPage:
        if (stage == RunStage::Dpo) return DpoPage;
        if (stage == RunStage::Reward) return RewardModelPage;
        return isRl(stage) ? RewardPage : OptimisationPage;
    case DataPage:
        return ModelPage;
    case ModelPage:
    case DpoPage:
    case RewardModelPage:
    case RewardPage:
        return OptimisationPage;
    case OptimisationPage:
        return RunPage;
    case RunPage:
        return SummaryPage;
    default:
        return -1;
    }
}

nlohmann::json StageWizard::document() const
{
    return stage() == RunStage::Pretrain ? pretrainDocument() : fineTuneDocument();
}

nlohmann::json StageWizard::fineTuneDocument() const
{
    const RunStage stage = this->stage();
    auto fill = [&](train::FineTuneConfig& config) {
        config.stage = stage;
        config.name = field(QStringLiteral("runName")).toString().toStdString();
        m_start->apply(config);
        readOptions(*this, *m_run, config);
    };
    if (stage == RunStage::Dpo) {
        train::DpoConfig config;
        fill(config);
        m_dpo->apply(config);
        return train::toJson(config);
    }
    if (stage == RunStage::Reward) {
        train::RewardConfig config;
        fill(config);
        m_rewardModel->apply(config);
        return train::toJson(config);
    }
    if (isRl(stage)) {
        train::RlConfig config = train::rlConfigDefaults(stage);
        fill(config);
        m_reward->apply(config);
        return train::toJson(config);
    }
    train::FineTuneConfig config; // sft has only the shared fields
    fill(config);
    return train::fineTuneJson(config);
}

nlohmann::json StageWizard::pretrainDocument() const
{
    train::PretrainConfig config;
    config.name = field(QStringLiteral("runName")).toString().toStdString();
    config.trainTokens = m_data->trainTokens().toStdString();
    config.valTokens = m_data->valTokens().toStdString();
    config.tokenizer = m_data->tokenizerPath().toStdString();
    config.model = m_model->modelConfig();
    readOptions(*this, *m_run, config);
    return train::toJson(config);
}

QString StageWizard::documentPath() const
{
    return QDir(m_projectPath)
        .filePath(QStringLiteral("runs/%1.json").arg(field(QStringLiteral("runName")).toString()));
}

LaunchSettings StageWizard::launchSettings() const
{
    LaunchSettings settings;
    settings.project = m_projectPath;
    settings.document = documentPath();
    settings.runName = field(QStringLiteral("runName")).toString();
    settings.processes = m_run->processes();
    settings.machines = m_run->machines();
    settings.gpus = m_run->onGpu();
    settings.cpusPerProcess = m_run->threads();
    return settings;
}

QString StageWizard::command() const
{
    return trainCommand(launchSettings());
}

QString StageWizard::validationError() const
{
    const auto json = document();
    if (json.at("name").get<std::string>().empty()) return tr("The run needs a name (Stage page).");
    const bool pretrain = stage() == RunStage::Pretrain;
    if (pretrain && json.at("data").at("train").get<std::string>().empty())
        return tr("Choose a dataset and tokenizer whose token files exist (Data page).");
    if (!pretrain && json.at("init").get<std::string>().empty())
        return tr("Choose the checkpoint to start from (Start from page).");
    try {
        train::validateStageDocument(json, documentPath().toStdString());
    } catch (const std::exception& error) {
        return tr("The CLI would refuse this document: %1").arg(QString::fromUtf8(error.what()));
    }
    return {};
}

QString StageWizard::memoryEstimate() const
{
    return memoryEstimateAt(field(QStringLiteral("batchSize")).toInt());
}

QString StageWizard::memoryEstimateAt(int64_t batchSize) const
{
    const RunStage stage = this->stage();
    const bool checkpointing = field(QStringLiteral("activationCheckpointing")).toBool();
    if (stage == RunStage::Pretrain)
        return m_model->memoryEstimate(batchSize, checkpointing) +
               deviceCheck(trainingMemoryBytes(m_model->modelConfig(), batchSize, checkpointing),
                           checkpointing);
    auto shape = m_start->modelConfig();
    if (!shape) return {};
    if (m_start->maxLength() > 0) shape->contextLength = m_start->maxLength();
    // A pair is two sequences; a GRPO prompt is group_size rollouts.
    const int64_t sequences = stage == RunStage::Reward || stage == RunStage::Dpo ? 2 * batchSize
                              : stage == RunStage::Grpo
                                  ? batchSize * field(QStringLiteral("groupSize")).toInt()
                                  : batchSize;
    const auto lora = m_start->lora()->options();
    const int64_t bytes =
        trainingMemoryBytes(*shape, sequences, checkpointing, lora ? &*lora : nullptr);
    QString text = tr("Training memory about %1 for %2 sequences of %3 tokens")
                       .arg(QLocale().formattedDataSize(bytes))
                       .arg(sequences)
                       .arg(shape->contextLength);
    if (lora)
        text += tr(" with LoRA adapters (%1 trained parameters; every weight: %2)")
                    .arg(QLocale().toString(qlonglong(loraParameterCount(*shape, lora->adapter))))
                    .arg(QLocale().formattedDataSize(
                        trainingMemoryBytes(*shape, sequences, checkpointing)));
    if (isRl(stage) || stage == RunStage::Dpo)
        text += tr(" (policy only: the frozen reference%1 add more)")
                    .arg(stage == RunStage::Ppo ? tr(", value and reward models") : "");
    return text + deviceCheck(bytes, checkpointing);
}

QString StageWizard::deviceCheck(int64_t bytes, bool checkpointing) const
{
    const int64_t available = m_run->deviceMemoryBytes();
    const QString size = QLocale().formattedDataSize(available);
    if (bytes <= available) return tr("; fits in the %1 of %2").arg(size, m_run->deviceLabel());
    return tr("; more than the %1 of %2: lower the batch size%3")
        .arg(size, m_run->deviceLabel(),
             checkpointing ? QString() : tr(" or turn on activation checkpointing (Run page)"));
}

QString StageWizard::batchUnit() const
{
    const RunStage stage = this->stage();
    if (stage == RunStage::Reward || stage == RunStage::Dpo) return tr("pairs");
    if (isRl(stage)) return tr("prompts per step");
    return tr("sequences");
}

bool StageWizard::writeDocument(QString& problem)
{
    const QString path = documentPath();
    const QString folder = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(folder)) {
        problem = tr("Cannot write %1: cannot make the folder %2").arg(path, folder);
        return false;
    }
    QSaveFile file(path);
    const QByteArray bytes = QByteArray::fromStdString(document().dump(2) + "\n");
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        problem = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    m_stage->allowExisting(field(QStringLiteral("runName")).toString());
    return true;
}

void StageWizard::accept()
{
    QString problem = validationError();
    if (!problem.isEmpty()) {
        QMessageBox::warning(this, windowTitle(), problem);
        return;
    }
    if (!writeDocument(problem)) {
        QMessageBox::critical(this, windowTitle(), problem);
        return;
    }
    m_startsRun = true;
    Q_EMIT runRequested(documentPath());
    QWizard::accept();
}

} // namespace rlhf::widgets
