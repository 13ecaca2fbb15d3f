#include "widgets/stagewizard/wizardrunpage.h"

#include "core/train/option_ranges.h"
#include "core/train/training_options.h"
#include "widgets/stagewizard/wizardfields.h"
#include "widgets/stagewizard/wordcombo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLocale>
#include <QFormLayout>
#include <QSpinBox>
#include <QVariant>

#include <limits>

namespace rlhf::widgets {

namespace {

QSpinBox* spinBox(QWidget* parent, const char* name, int value, const QString& zeroMeans,
                  const ValueRange& range = {0, double(std::numeric_limits<int>::max())})
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    setRange(box, range);
    box->setValue(value);
    box->setSpecialValueText(zeroMeans); // shown instead of 0
    return box;
}

} // namespace

WizardRunPage::WizardRunPage(std::vector<model::GpuInfo> gpus, QWidget* parent)
    : QWizardPage(parent), m_gpus(std::move(gpus))
{
    setTitle(tr("Run"));
    setSubTitle(tr("Where the run executes and how often it evaluates and saves."));

    m_device = new QComboBox(this);
    m_device->setObjectName(QStringLiteral("device"));
    for (const model::GpuInfo& gpu : m_gpus) {
        const std::string name = train::deviceName({train::Device::Cuda, gpu.index});
        m_device->addItem(tr("%1 (%2, %3)")
                              .arg(QString::fromStdString(name), QString::fromStdString(gpu.name),
                                   QLocale().formattedDataSize(gpu.totalBytes)),
                          QString::fromStdString(name));
    }
    m_device->addItem(tr("cpu"), QString::fromStdString(train::deviceName({train::Device::Cpu})));
    m_checkpointing = new QCheckBox(tr("Activation checkpointing"), this);
    m_checkpointing->setObjectName(QStringLiteral("activationCheckpointing"));
    m_checkpointing->setToolTip(tr("Keep only each layer's input and recompute the layer in the "
                                   "backward pass: about a third more compute for a fraction of "
                                   "the activation memory. Lets larger models and batches fit."));
    m_precision = new QComboBox(this);
    m_precision->setObjectName(QStringLiteral("precision"));
    using train::Precision;
    using train::precisionWords;
    addWordItem(m_precision, precisionWords, Precision::Auto,
                tr("auto (bf16 autocast where it is faster)"));
    addWordItem(m_precision, precisionWords, Precision::Float32, tr("fp32"));
    addWordItem(m_precision, precisionWords, Precision::BFloat16, tr("bf16 autocast"));
    m_threads = spinBox(this, "threads", 0, tr("all cores"), train::ranges::threads);
    m_evalEvery = spinBox(this, "evalEvery", 100, tr("only at the end"), train::ranges::evalEvery);
    m_checkpointEvery = spinBox(this, "checkpointEvery", 500, tr("only at the end"),
                                train::ranges::checkpointEvery);
    m_processes = spinBox(this, "processes", 1, QString());
    m_processes->setRange(1, 512);
    m_processes->setToolTip(
        tr("Data-parallel worker processes on each machine, each with its share of every batch "
           "(gradients averaged over Gloo on CPUs, NCCL on GPUs: one GPU per process). The "
           "summary's command, torchrun command and Slurm script launch them."));
    m_machines = spinBox(this, "machines", 1, QString());
    m_machines->setRange(1, 4096);
    m_machines->setToolTip(tr("Machines (nodes) for the torchrun command and the Slurm script."));
    m_device->setToolTip(tr("Where the run computes: the GPU when there is one, else the CPU."));
    m_precision->setToolTip(tr("Number format of the matmuls: bf16 autocast is faster where the "
                               "hardware supports it; weights stay fp32 either way."));
    m_threads->setToolTip(tr("CPU threads LibTorch uses; all cores when 0."));
    m_evalEvery->setToolTip(tr("Steps between evaluations on the validation split."));
    m_checkpointEvery->setToolTip(tr("Steps between checkpoints (resumable, and usable as the "
                                     "start of a later stage)."));

    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Device"), m_device);
    layout->addRow(tr("Precision"), m_precision);
    layout->addRow(tr("CPU threads"), m_threads);
    layout->addRow(tr("Memory"), m_checkpointing);
    layout->addRow(tr("Evaluate every (steps)"), m_evalEvery);
    layout->addRow(tr("Checkpoint every (steps)"), m_checkpointEvery);
    layout->addRow(tr("Processes per machine"), m_processes);
    layout->addRow(tr("Machines"), m_machines);

    registerField(QStringLiteral("device"), m_device, "currentIndex",
                  SIGNAL(currentIndexChanged(int)));
    registerField(QStringLiteral("precision"), m_precision, "currentIndex",
                  SIGNAL(currentIndexChanged(int)));
    registerField(QStringLiteral("threads"), m_threads);
    registerField(QStringLiteral("activationCheckpointing"), m_checkpointing);
    registerField(QStringLiteral("evalEvery"), m_evalEvery);
    registerField(QStringLiteral("checkpointEvery"), m_checkpointEvery);
    registerField(QStringLiteral("processes"), m_processes);
    registerField(QStringLiteral("machines"), m_machines);
}

int WizardRunPage::processes() const
{
    return m_processes->value();
}

int WizardRunPage::machines() const
{
    return m_machines->value();
}

bool WizardRunPage::onGpu() const
{
    return size_t(m_device->currentIndex()) < m_gpus.size();
}

int WizardRunPage::threads() const
{
    return m_threads->value();
}

void WizardRunPage::apply(train::TrainingOptions& options) const
{
    options.device = train::parseDevice(m_device->currentData().toString().toStdString());
    options.activationCheckpointing = m_checkpointing->isChecked();
    options.precision = chosenWord(m_precision, train::precisionWords);
    options.threads = m_threads->value();
    options.evalEvery = m_evalEvery->value();
    options.checkpointEvery = m_checkpointEvery->value();
}

int64_t WizardRunPage::deviceMemoryBytes() const
{
    const size_t index = size_t(m_device->currentIndex());
    return index < m_gpus.size() ? m_gpus[index].totalBytes : model::hostMemoryBytes();
}

QString WizardRunPage::deviceLabel() const
{
    const size_t index = size_t(m_device->currentIndex());
    if (index < m_gpus.size())
        return tr("cuda:%1 (%2)")
            .arg(m_gpus[index].index)
            .arg(QString::fromStdString(m_gpus[index].name));
    return tr("this machine's memory");
}

} // namespace rlhf::widgets
