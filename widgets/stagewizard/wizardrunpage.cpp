#include "widgets/stagewizard/wizardrunpage.h"

#include "core/train/training_options.h"
#include "widgets/stagewizard/wordcombo.h"

#include <QComboBox>
#include <QFormLayout>
#include <QSpinBox>
#include <QVariant>

#include <limits>

namespace rlhf::widgets {

namespace {

QSpinBox* spinBox(QWidget* parent, const char* name, int value, const QString& zeroMeans)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(0, std::numeric_limits<int>::max());
    box->setValue(value);
    box->setSpecialValueText(zeroMeans); // shown instead of 0
    return box;
}

} // namespace

WizardRunPage::WizardRunPage(bool gpuAvailable, QWidget* parent) : QWizardPage(parent)
{
    setTitle(tr("Run"));
    setSubTitle(tr("Where the run executes and how often it evaluates and saves."));

    m_device = new QComboBox(this);
    m_device->setObjectName(QStringLiteral("device"));
    using train::Device;
    using train::deviceWords;
    if (gpuAvailable) addWordItem(m_device, deviceWords, Device::Cuda, tr("cuda (GPU)"));
    addWordItem(m_device, deviceWords, Device::Cpu, tr("cpu"));
    m_precision = new QComboBox(this);
    m_precision->setObjectName(QStringLiteral("precision"));
    using train::Precision;
    using train::precisionWords;
    addWordItem(m_precision, precisionWords, Precision::Auto,
                tr("auto (bf16 autocast where it is faster)"));
    addWordItem(m_precision, precisionWords, Precision::Float32, tr("fp32"));
    addWordItem(m_precision, precisionWords, Precision::BFloat16, tr("bf16 autocast"));
    m_threads = spinBox(this, "threads", 0, tr("all cores"));
    m_threads->setMaximum(1024);
    m_evalEvery = spinBox(this, "evalEvery", 100, tr("only at the end"));
    m_checkpointEvery = spinBox(this, "checkpointEvery", 500, tr("only at the end"));
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
    layout->addRow(tr("Evaluate every (steps)"), m_evalEvery);
    layout->addRow(tr("Checkpoint every (steps)"), m_checkpointEvery);

    registerField(QStringLiteral("device"), m_device, "currentIndex",
                  SIGNAL(currentIndexChanged(int)));
    registerField(QStringLiteral("precision"), m_precision, "currentIndex",
                  SIGNAL(currentIndexChanged(int)));
    registerField(QStringLiteral("threads"), m_threads);
    registerField(QStringLiteral("evalEvery"), m_evalEvery);
    registerField(QStringLiteral("checkpointEvery"), m_checkpointEvery);
}

void WizardRunPage::apply(train::TrainingOptions& options) const
{
    options.device = chosenWord(m_device, train::deviceWords);
    options.precision = chosenWord(m_precision, train::precisionWords);
    options.threads = m_threads->value();
    options.evalEvery = m_evalEvery->value();
    options.checkpointEvery = m_checkpointEvery->value();
}

} // namespace rlhf::widgets
