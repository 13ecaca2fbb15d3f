#include "widgets/stagewizard.h"

#include "core/train/pretrain_config.h"
#include "widgets/modelpresets.h"
#include "widgets/wizarddatapage.h"
#include "widgets/wizardmodelpage.h"
#include "widgets/wizardoptimisationpage.h"
#include "widgets/wizardrunpage.h"
#include "widgets/wizardstagepage.h"
#include "widgets/wizardsummarypage.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QMessageBox>
#include <QSaveFile>

#include <exception>

namespace rlhf::widgets {

namespace {

QString shellQuoted(const QString& text)
{
    return QLatin1Char('\'') + QString(text).replace(QLatin1String("'"), QLatin1String("'\\''")) +
           QLatin1Char('\'');
}

double number(const QVariant& text)
{
    return QLocale::c().toDouble(text.toString()); // the fields hold C-locale text, e.g. "3e-4"
}

} // namespace

StageWizard::StageWizard(const QString& projectPath, bool gpuAvailable, QWidget* parent)
    : QWizard(parent), m_projectPath(QDir(projectPath).absolutePath())
{
    setWindowTitle(tr("New training run"));
    setOption(QWizard::NoBackButtonOnStartPage);
    resize(680, 560);
    m_data = new WizardDataPage(m_projectPath, this);
    m_model = new WizardModelPage(m_data, this);
    m_run = new WizardRunPage(gpuAvailable, this);
    setPage(StagePage, new WizardStagePage(m_projectPath, this));
    setPage(DataPage, m_data);
    setPage(ModelPage, m_model);
    auto* optimisation = new WizardOptimisationPage(m_model, this);
    setPage(OptimisationPage, optimisation);
    setPage(RunPage, m_run);
    setPage(SummaryPage, new WizardSummaryPage(this, this));
    m_model->setBatchSize(field(QStringLiteral("batchSize")).toInt());
    connect(optimisation, &WizardOptimisationPage::batchSizeChanged, m_model,
            &WizardModelPage::setBatchSize);
}

int64_t StageWizard::parameterCount(const model::ModelConfig& config)
{
    return widgets::parameterCount(config);
}

nlohmann::json StageWizard::document() const
{
    train::PretrainConfig config;
    config.name = field(QStringLiteral("runName")).toString().toStdString();
    config.trainTokens = m_data->trainTokens().toStdString();
    config.valTokens = m_data->valTokens().toStdString();
    config.tokenizer = m_data->tokenizerPath().toStdString();
    config.model = m_model->modelConfig();
    config.schedule.peak = number(field(QStringLiteral("lr")));
    config.schedule.minimum = number(field(QStringLiteral("minLr")));
    config.schedule.warmupSteps = field(QStringLiteral("warmupSteps")).toInt();
    config.optimizer.weightDecay = number(field(QStringLiteral("weightDecay")));
    config.gradClip = number(field(QStringLiteral("gradClip")));
    config.steps = field(QStringLiteral("steps")).toInt();
    config.schedule.totalSteps = config.steps;
    config.batchSize = field(QStringLiteral("batchSize")).toInt();
    config.gradAccumulation = field(QStringLiteral("gradAccumulation")).toInt();
    config.seed = uint64_t(field(QStringLiteral("seed")).toInt());
    const QString precision = m_run->precision();
    config.precision = precision == QLatin1String("fp32")   ? train::Precision::Float32
                       : precision == QLatin1String("bf16") ? train::Precision::BFloat16
                                                            : train::Precision::Auto;
    config.threads = field(QStringLiteral("threads")).toInt();
    config.device = m_run->device().toStdString();
    config.evalEvery = field(QStringLiteral("evalEvery")).toInt();
    config.checkpointEvery = field(QStringLiteral("checkpointEvery")).toInt();
    return train::toJson(config);
}

QString StageWizard::documentPath() const
{
    return QDir(m_projectPath)
        .filePath(QStringLiteral("runs/%1.json").arg(field(QStringLiteral("runName")).toString()));
}

QString StageWizard::command() const
{
    return QStringLiteral("rlhf train -p %1 %2")
        .arg(shellQuoted(m_projectPath), shellQuoted(documentPath()));
}

QString StageWizard::validationError() const
{
    const auto json = document();
    if (json.at("data").at("train").get<std::string>().empty())
        return tr("Choose a dataset and tokenizer whose token files exist (Data page).");
    try {
        const auto parsed = train::pretrainConfigFromJson(json, documentPath().toStdString());
        if (parsed.name.empty()) return tr("The run needs a name (Stage page).");
    } catch (const std::exception& error) {
        return tr("The CLI would refuse this document: %1").arg(QString::fromUtf8(error.what()));
    }
    return {};
}

QString StageWizard::memoryEstimate() const
{
    return m_model->memoryEstimate(field(QStringLiteral("batchSize")).toInt());
}

void StageWizard::accept()
{
    const QString problem = validationError();
    if (!problem.isEmpty()) {
        QMessageBox::warning(this, windowTitle(), problem);
        return;
    }
    const QString path = documentPath();
    QSaveFile file(path);
    const QByteArray bytes = QByteArray::fromStdString(document().dump(2) + "\n");
    if (!QDir().mkpath(QFileInfo(path).absolutePath()) || !file.open(QIODevice::WriteOnly) ||
        file.write(bytes) != bytes.size() || !file.commit()) {
        QMessageBox::critical(this, windowTitle(),
                              tr("Cannot write %1: %2").arg(path, file.errorString()));
        return;
    }
    QWizard::accept();
}

} // namespace rlhf::widgets
