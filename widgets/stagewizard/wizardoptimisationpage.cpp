#include "widgets/stagewizard/wizardoptimisationpage.h"

#include "core/train/option_ranges.h"
#include "widgets/stagewizard/stagewizard.h"
#include "widgets/stagewizard/wizardfields.h"
#include "widgets/stagewizard/wizardmodelpage.h"

#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSpinBox>

#include <limits>
#include <utility>

namespace rlhf::widgets {

WizardOptimisationPage::WizardOptimisationPage(const WizardModelPage* model, QWidget* parent)
    : QWizardPage(parent), m_model(model)
{
    setTitle(tr("Optimisation"));
    setSubTitle(tr("AdamW with linear warmup and cosine decay to the minimum learning rate."));
    // The limits of the document's fields (option_ranges.h); the seed box holds what an int can.
    const int most = std::numeric_limits<int>::max();
    m_lr = numberEdit(this, "lr", QStringLiteral("3e-4"), train::ranges::lr,
                      tr("Peak learning rate, reached after the warmup, e.g. 3e-4 for "
                         "pretraining, 1e-5 to 1e-6 for fine-tuning and RL."));
    m_minLr = numberEdit(this, "minLr", QStringLiteral("3e-5"), train::ranges::minLr,
                         tr("The learning rate the cosine decay ends at, at the last step."));
    m_warmup = spinBox(this, "warmupSteps", train::ranges::warmupSteps, 100,
                       tr("Steps of linear warmup from 0 to the peak learning rate."));
    m_weightDecay =
        numberEdit(this, "weightDecay", QStringLiteral("0.1"), train::ranges::weightDecay,
                   tr("AdamW's decoupled weight decay on the weight matrices."));
    m_gradClip = numberEdit(this, "gradClip", QStringLiteral("1.0"), train::ranges::gradClip,
                            tr("Largest global gradient L2 norm; 0 disables clipping"));
    m_steps = spinBox(this, "steps", train::ranges::steps, 1000,
                      tr("Optimizer steps in total (PPO / GRPO: iterations of sampling and "
                         "updating)."));
    m_batchSize = spinBox(this, "batchSize", train::ranges::batchSize, 8,
                          tr("Examples per micro-batch: sequences (pretrain, SFT), preference "
                             "pairs (reward, DPO) or prompts per iteration (PPO, GRPO)."));
    m_gradAccumulation = spinBox(this, "gradAccumulation", train::ranges::gradAccumulation, 1,
                                 tr("Micro-batches whose gradients are summed per optimizer "
                                    "step: a larger effective batch in the same memory."));
    m_seed = spinBox(this, "seed", 0, most, 1337,
                     tr("Seeds the weights, the batch order and sampling: the same seed "
                        "repeats a run."));
    m_memory = new QLabel(this);
    m_memory->setObjectName(QStringLiteral("optimisationMemory"));
    m_memory->setWordWrap(true); // a long estimate must not widen the wizard
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("optimisationMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020"));

    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Learning rate"), m_lr);
    layout->addRow(tr("Minimum learning rate"), m_minLr);
    layout->addRow(tr("Warmup steps"), m_warmup);
    layout->addRow(tr("Weight decay"), m_weightDecay);
    layout->addRow(tr("Gradient clip"), m_gradClip);
    layout->addRow(tr("Steps"), m_steps);
    m_batchLabel = new QLabel(tr("Batch size (sequences)"), this);
    m_batchLabel->setObjectName(QStringLiteral("batchSizeLabel"));
    layout->addRow(m_batchLabel, m_batchSize);
    layout->addRow(QString(), m_memory);
    layout->addRow(tr("Gradient accumulation"), m_gradAccumulation);
    layout->addRow(tr("Seed"), m_seed);
    layout->addRow(m_message);

    registerField(QStringLiteral("lr"), m_lr);
    registerField(QStringLiteral("minLr"), m_minLr);
    registerField(QStringLiteral("warmupSteps"), m_warmup);
    registerField(QStringLiteral("weightDecay"), m_weightDecay);
    registerField(QStringLiteral("gradClip"), m_gradClip);
    registerField(QStringLiteral("steps"), m_steps);
    registerField(QStringLiteral("batchSize"), m_batchSize);
    registerField(QStringLiteral("gradAccumulation"), m_gradAccumulation);
    registerField(QStringLiteral("seed"), m_seed);

    auto changed = [this] {
        updateMessage();
        Q_EMIT completeChanged();
    };
    for (QLineEdit* edit : {m_lr, m_minLr, m_weightDecay, m_gradClip})
        connect(edit, &QLineEdit::textChanged, this, changed);
    for (QSpinBox* box : {m_warmup, m_steps, m_batchSize, m_gradAccumulation, m_seed})
        connect(box, &QSpinBox::valueChanged, this, changed);
    connect(m_batchSize, &QSpinBox::valueChanged, this, [this](int batchSize) {
        updateMemory();
        Q_EMIT batchSizeChanged(batchSize);
    });
    updateMessage();
}

void WizardOptimisationPage::initializePage()
{
    // The stage and model shape may have changed since this page was last shown.
    if (const auto* stage = qobject_cast<const StageWizard*>(wizard()))
        m_batchLabel->setText(tr("Batch size (%1)").arg(stage->batchUnit()));
    updateMemory();
}

void WizardOptimisationPage::updateMemory()
{
    const auto* stage = qobject_cast<const StageWizard*>(wizard());
    m_memory->setText(stage     ? stage->memoryEstimateAt(m_batchSize->value())
                      : m_model ? m_model->memoryEstimate(m_batchSize->value())
                                : QString());
}

QString WizardOptimisationPage::problem() const
{
    auto rangeText = [](const ValueRange& range) { return QString::fromStdString(range.text()); };
    const std::pair<QLineEdit*, QString> numbers[] = {
        {m_lr,
         tr("Learning rate must be a number (%1), e.g. 3e-4.").arg(rangeText(train::ranges::lr))},
        {m_minLr, tr("Minimum learning rate must be a number (%1), e.g. 3e-5.")
                      .arg(rangeText(train::ranges::minLr))},
        {m_weightDecay, tr("Weight decay must be a number (%1), e.g. 0.1.")
                            .arg(rangeText(train::ranges::weightDecay))},
        {m_gradClip, tr("Gradient clip must be a number (%1; 0: off), e.g. 1.0.")
                         .arg(rangeText(train::ranges::gradClip))},
    };
    for (const auto& [edit, message] : numbers)
        if (!edit->hasAcceptableInput()) return message;
    const double lr = QLocale::c().toDouble(m_lr->text());
    const double minLr = QLocale::c().toDouble(m_minLr->text());
    if (lr <= 0) return numbers[0].second;
    if (minLr > lr)
        return tr("Minimum learning rate %1 is above the learning rate %2.")
            .arg(m_minLr->text(), m_lr->text());
    if (m_warmup->value() >= m_steps->value())
        return tr("Warmup steps %1 must be fewer than the total steps %2.")
            .arg(m_warmup->value())
            .arg(m_steps->value());
    return {};
}

void WizardOptimisationPage::updateMessage()
{
    const QString text = problem();
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

bool WizardOptimisationPage::isComplete() const
{
    return problem().isEmpty();
}

bool WizardOptimisationPage::validatePage()
{
    updateMessage();
    return problem().isEmpty();
}

} // namespace rlhf::widgets
