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
#include <QSignalBlocker>
#include <QSpinBox>

#include <algorithm>

namespace rlhf::widgets {

namespace {

constexpr int kDefaultVocab = 8192; // a small model's vocabulary, as `rlhf tokenizer train`
constexpr int kMaxVocab = 1 << 20;  // far above any real tokenizer (Llama 3: 128256)
// 256 byte tokens and the reserved special tokens take the first ids.
constexpr int kMinVocab = 256 + int(text::special::all.size());

} // namespace

TokenizerPanel::TokenizerPanel(const QString& projectPath, QWidget* parent)
    : QGroupBox(tr("Train a tokenizer, or tokenize with an existing one"), parent),
      m_projectPath(projectPath)
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
    m_existingTokenizer = new QComboBox(this);
    m_existingTokenizer->setObjectName(QStringLiteral("existingTokenizer"));
    m_existingTokenizer->setPlaceholderText(tr("(the project has none yet)"));
    m_existingTokenizer->setMinimumContentsLength(12);
    m_existingTokenizer->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_tokenize = new QPushButton(tr("Tokenize with it"), this);
    m_tokenize->setObjectName(QStringLiteral("tokenizeExisting"));
    m_tokenize->setToolTip(tr("Writes the dataset's train and validation token files with the "
                              "chosen tokenizer, as `rlhf tokenize` does."));
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

    auto* existing = new QHBoxLayout;
    existing->addWidget(m_existingTokenizer, /*stretch=*/1);
    existing->addWidget(m_tokenize);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_progress, /*stretch=*/1);
    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Name"), m_name);
    layout->addRow(tr("Vocabulary size"), m_vocab);
    layout->addRow(tr("Pattern"), m_pattern);
    layout->addRow(QString(), m_train);
    layout->addRow(tr("Or use existing"), existing);
    layout->addRow(buttons);
    layout->addRow(m_status);

    connect(m_train, &QPushButton::clicked, this, &TokenizerPanel::train);
    connect(m_tokenize, &QPushButton::clicked, this, &TokenizerPanel::tokenizeWithExisting);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_job->cancel();
        m_status->setText(tr("Cancelling…"));
    });
    connect(m_name, &QLineEdit::textChanged, this, &TokenizerPanel::updateButtons);
    connect(m_job, &TokenizerJob::progress, this, [this](const QString& phase, int percent) {
        m_progress->setFormat(tr("%1 %p%").arg(phase));
        m_progress->setValue(percent);
    });
    connect(m_job, &TokenizerJob::succeeded, this, &TokenizerPanel::showResult);
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
    {
        const QSignalBlocker blocker(m_existingTokenizer);
        const QString current = m_existingTokenizer->currentText();
        m_existingTokenizer->clear();
        m_existingTokenizer->addItems(names);
        m_existingTokenizer->setCurrentIndex(
            names.isEmpty() ? -1 : std::max(0, int(names.indexOf(current))));
    }
    updateButtons();
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
    request.task = TokenizerTask::TrainAndTokenize;
    request.vocabSize = m_vocab->value();
    request.pattern = text::PatternFlavour(m_pattern->currentData().toInt());
    start(request, tr("Training '%1' on '%2'…").arg(request.name, request.dataset));
}

void TokenizerPanel::tokenizeWithExisting()
{
    TokenizerRequest request;
    request.project = m_projectPath;
    request.dataset = m_dataset;
    request.name = m_existingTokenizer->currentText();
    request.task = TokenizerTask::TokenizeOnly;
    start(request, tr("Tokenizing '%1' with '%2'…").arg(request.dataset, request.name));
}

void TokenizerPanel::start(const TokenizerRequest& request, const QString& status)
{
    if (!m_job->start(request)) return;
    m_status->setStyleSheet(QString());
    m_status->setText(status);
    m_progress->setValue(0);
    m_progress->setFormat(tr("Starting %p%"));
    m_progress->setVisible(true);
    updateButtons();
    Q_EMIT runningChanged(true);
}

void TokenizerPanel::showResult(const TokenizerResult& result)
{
    const QLocale locale;
    const QString tokens =
        tr("%1 train and %2 validation tokens")
            .arg(locale.toString(result.trainTokens), locale.toString(result.valTokens));
    QString text = result.trained ? tr("Tokenizer '%1' trained: %2.").arg(result.tokenizer, tokens)
                                  : tr("Dataset '%1' tokenized with '%2': %3.")
                                        .arg(result.dataset, result.tokenizer, tokens);
    // Training stops early when no pair of tokens is frequent enough to merge any more.
    if (result.trained && result.vocabLearned < result.vocabAsked)
        text += QLatin1Char(' ') +
                tr("It learned %1 of the %2 tokens asked for: the corpus has "
                   "no more pairs to merge.")
                    .arg(locale.toString(result.vocabLearned), locale.toString(result.vocabAsked));
    m_status->setStyleSheet(QString());
    m_status->setText(text);
    m_progress->setVisible(false);
    updateButtons();
    Q_EMIT runningChanged(false);
    Q_EMIT trained(result.tokenizer);
}

void TokenizerPanel::updateButtons()
{
    const bool running = m_job->isRunning();
    m_train->setEnabled(!running && !m_dataset.isEmpty() && !m_name->text().isEmpty());
    m_tokenize->setEnabled(!running && !m_dataset.isEmpty() &&
                           m_existingTokenizer->currentIndex() >= 0);
    m_cancel->setEnabled(running);
    for (QWidget* input :
         {static_cast<QWidget*>(m_name), static_cast<QWidget*>(m_vocab),
          static_cast<QWidget*>(m_pattern), static_cast<QWidget*>(m_existingTokenizer)})
        input->setEnabled(!running);
}

} // namespace rlhf::widgets
