#include "widgets/stagewizard/tokenizerpanel.h"

#include "core/text/tokenizer.h"
#include "widgets/stagewizard/tokenizerjob.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSpinBox>

namespace rlhf::widgets {

namespace {

constexpr int kDefaultVocab = 8192; // a small model's vocabulary, as `rlhf tokenizer train`
constexpr int kMaxVocab = 1 << 20;  // far above any real tokenizer (Llama 3: 128256)
// 256 byte tokens and the reserved special tokens take the first ids.
constexpr int kMinVocab = 256 + int(text::special::all.size());

} // namespace

TokenizerPanel::TokenizerPanel(const QString& projectPath, QWidget* parent)
    : QGroupBox(tr("Train a tokenizer"), parent), m_projectPath(projectPath)
{
    m_job = new TokenizerJob(this);
    m_name = new QLineEdit(QStringLiteral("bpe"), this);
    m_name->setObjectName(QStringLiteral("tokenizerName"));
    m_name->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("[A-Za-z0-9._-]+")), m_name)); // it names files
    m_vocab = new QSpinBox(this);
    m_vocab->setObjectName(QStringLiteral("tokenizerVocab"));
    m_vocab->setRange(kMinVocab, kMaxVocab);
    m_vocab->setValue(kDefaultVocab);
    m_vocab->setGroupSeparatorShown(true);
    m_pattern = new QComboBox(this);
    m_pattern->setObjectName(QStringLiteral("tokenizerPattern"));
    m_pattern->addItem(tr("Llama 3"), int(text::PatternFlavour::Llama3));
    m_pattern->addItem(tr("GPT-2"), int(text::PatternFlavour::Gpt2));
    m_pattern->setToolTip(tr("How text is cut into words before merging: Llama 3's pattern "
                             "groups up to three digits; GPT-2's keeps runs of digits."));
    m_train = new QPushButton(tr("Train tokenizer"), this);
    m_train->setObjectName(QStringLiteral("trainTokenizer"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("cancelTokenizer"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("tokenizerProgress"));
    m_progress->setRange(0, 100);
    m_progress->setVisible(false);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("tokenizerStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_train);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_progress, /*stretch=*/1);
    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Name"), m_name);
    layout->addRow(tr("Vocabulary size"), m_vocab);
    layout->addRow(tr("Pattern"), m_pattern);
    layout->addRow(buttons);
    layout->addRow(m_status);

    connect(m_train, &QPushButton::clicked, this, &TokenizerPanel::train);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_job->cancel();
        m_status->setText(tr("Cancelling…"));
    });
    connect(m_name, &QLineEdit::textChanged, this, &TokenizerPanel::updateButtons);
    connect(m_job, &TokenizerJob::progress, this, [this](const QString& phase, int percent) {
        m_progress->setFormat(tr("%1 %p%").arg(phase));
        m_progress->setValue(percent);
    });
    connect(m_job, &TokenizerJob::succeeded, this,
            [this](const QString& tokenizer, qint64 trainTokens, qint64 valTokens) {
                const QLocale locale;
                m_status->setStyleSheet(QString());
                m_status->setText(
                    tr("Tokenizer '%1' trained: %2 train and %3 validation tokens.")
                        .arg(tokenizer, locale.toString(trainTokens), locale.toString(valTokens)));
                m_progress->setVisible(false);
                updateButtons();
                Q_EMIT runningChanged(false);
                Q_EMIT trained(tokenizer);
            });
    connect(m_job, &TokenizerJob::failed, this, [this](const QString& message) {
        m_status->setStyleSheet(QStringLiteral("color: #b00020"));
        m_status->setText(message);
        m_progress->setVisible(false);
        updateButtons();
        Q_EMIT runningChanged(false);
    });
    updateButtons();
}

void TokenizerPanel::setDataset(const QString& dataset)
{
    m_dataset = dataset;
    updateButtons();
}

void TokenizerPanel::setExistingTokenizers(const QStringList& names)
{
    m_existing = names;
    if (!m_existing.contains(m_name->text()) && !m_name->text().isEmpty()) return;
    QString name = QStringLiteral("bpe");
    for (int suffix = 2; m_existing.contains(name); ++suffix)
        name = QStringLiteral("bpe-%1").arg(suffix);
    m_name->setText(name);
}

bool TokenizerPanel::isRunning() const
{
    return m_job->isRunning();
}

void TokenizerPanel::train()
{
    TokenizerRequest request;
    request.project = m_projectPath;
    request.dataset = m_dataset;
    request.name = m_name->text();
    request.vocabSize = m_vocab->value();
    request.pattern = text::PatternFlavour(m_pattern->currentData().toInt());
    if (!m_job->start(request)) return;
    m_status->setStyleSheet(QString());
    m_status->setText(tr("Training '%1' on '%2'…").arg(request.name, request.dataset));
    m_progress->setValue(0);
    m_progress->setFormat(tr("Starting %p%"));
    m_progress->setVisible(true);
    updateButtons();
    Q_EMIT runningChanged(true);
}

void TokenizerPanel::updateButtons()
{
    const bool running = m_job->isRunning();
    m_train->setEnabled(!running && !m_dataset.isEmpty() && !m_name->text().isEmpty());
    m_cancel->setEnabled(running);
    for (QWidget* input : {static_cast<QWidget*>(m_name), static_cast<QWidget*>(m_vocab),
                           static_cast<QWidget*>(m_pattern)})
        input->setEnabled(!running);
}

} // namespace rlhf::widgets
