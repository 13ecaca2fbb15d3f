#include "widgets/wizardoptimisationpage.h"

#include "widgets/wizardmodelpage.h"

#include <QDoubleValidator>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSpinBox>

#include <limits>
#include <utility>

namespace rlhf::widgets {

namespace {

// A number field in C locale ("3e-4"), so the text is what the JSON document will hold.
QLineEdit* numberEdit(QWidget* parent, const char* name, const QString& text, double minimum,
                      double maximum)
{
    auto* edit = new QLineEdit(text, parent);
    edit->setObjectName(QLatin1String(name));
    auto* validator = new QDoubleValidator(minimum, maximum, /*decimals=*/12, edit);
    validator->setNotation(QDoubleValidator::ScientificNotation);
    validator->setLocale(QLocale::c());
    edit->setValidator(validator);
    return edit;
}

QSpinBox* spinBox(QWidget* parent, const char* name, int minimum, int maximum, int value)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(minimum, maximum);
    box->setValue(value);
    return box;
}

} // namespace

WizardOptimisationPage::WizardOptimisationPage(const WizardModelPage* model, QWidget* parent)
    : QWizardPage(parent), m_model(model)
{
    setTitle(tr("Optimisation"));
    setSubTitle(tr("AdamW with linear warmup and cosine decay to the minimum learning rate."));
    const int most = std::numeric_limits<int>::max();
    m_lr = numberEdit(this, "lr", QStringLiteral("3e-4"), 0.0, 10.0);
    m_minLr = numberEdit(this, "minLr", QStringLiteral("3e-5"), 0.0, 10.0);
    m_warmup = spinBox(this, "warmupSteps", 0, most, 100);
    m_weightDecay = numberEdit(this, "weightDecay", QStringLiteral("0.1"), 0.0, 10.0);
    m_gradClip = numberEdit(this, "gradClip", QStringLiteral("1.0"), 0.0, 1e6);
    m_gradClip->setToolTip(tr("Largest global gradient L2 norm; 0 disables clipping"));
    m_steps = spinBox(this, "steps", 1, most, 1000);
    m_batchSize = spinBox(this, "batchSize", 1, 65536, 8);
    m_gradAccumulation = spinBox(this, "gradAccumulation", 1, 65536, 1);
    m_seed = spinBox(this, "seed", 0, most, 1337);
    m_memory = new QLabel(this);
    m_memory->setObjectName(QStringLiteral("optimisationMemory"));
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
    layout->addRow(tr("Batch size (sequences)"), m_batchSize);
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
    updateMemory(); // the model shape may have changed since this page was last shown
}

void WizardOptimisationPage::updateMemory()
{
    m_memory->setText(m_model ? m_model->memoryEstimate(m_batchSize->value()) : QString());
}

QString WizardOptimisationPage::problem() const
{
    const std::pair<QLineEdit*, QString> numbers[] = {
        {m_lr, tr("Learning rate must be a number above 0 and at most 10, e.g. 3e-4.")},
        {m_minLr, tr("Minimum learning rate must be a number from 0 to 10, e.g. 3e-5.")},
        {m_weightDecay, tr("Weight decay must be a number from 0 to 10, e.g. 0.1.")},
        {m_gradClip, tr("Gradient clip must be a number from 0 (off) to 1e6, e.g. 1.0.")},
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
