#include "widgets/stagewizard/wizarddatapage.h"

#include "core/store/project.h"
#include "widgets/stagewizard/tokenizerpanel.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QSignalBlocker>

#include <algorithm>
#include <exception>

namespace rlhf::widgets {

namespace {

constexpr qint64 bytesPerToken = 4; // .u32 token files: one little-endian uint32 per token

QString quoted(const QString& text)
{
    return QLatin1Char('\'') + QString(text).replace(QLatin1String("'"), QLatin1String("'\\''")) +
           QLatin1Char('\'');
}

} // namespace

WizardDataPage::WizardDataPage(const QString& projectPath, QWidget* parent)
    : QWizardPage(parent), m_projectPath(projectPath)
{
    setTitle(tr("Data"));
    setSubTitle(tr("The token files to train on: a dataset encoded with a tokenizer."));

    m_dataset = new QComboBox(this);
    m_dataset->setObjectName(QStringLiteral("dataset"));
    m_tokenizer = new QComboBox(this);
    m_tokenizer->setObjectName(QStringLiteral("tokenizer"));
    try {
        auto project = store::Project::open(projectPath.toStdString());
        for (const auto& dataset : project.database().datasets())
            m_dataset->addItem(QString::fromStdString(dataset.name));
    } catch (const std::exception& error) {
        m_loadError = tr("Cannot read the project %1: %2").arg(projectPath, error.what());
    }
    m_tokenizerPanel = new TokenizerPanel(projectPath, this);
    m_tokenizerPanel->setObjectName(QStringLiteral("tokenizerPanel"));
    loadTokenizers({});

    m_trainLabel = new QLabel(this);
    m_trainLabel->setObjectName(QStringLiteral("trainTokensLabel"));
    m_valLabel = new QLabel(this);
    m_valLabel->setObjectName(QStringLiteral("valTokensLabel"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("dataMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setStyleSheet(QStringLiteral("color: #b00020"));

    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Dataset"), m_dataset);
    layout->addRow(tr("Tokenizer"), m_tokenizer);
    layout->addRow(tr("Train tokens"), m_trainLabel);
    layout->addRow(tr("Validation tokens"), m_valLabel);
    layout->addRow(m_message);
    layout->addRow(m_tokenizerPanel);

    registerField(QStringLiteral("dataset"), m_dataset, "currentText",
                  SIGNAL(currentTextChanged(QString)));
    registerField(QStringLiteral("tokenizer"), m_tokenizer, "currentIndex",
                  SIGNAL(currentIndexChanged(int)));
    auto changed = [this] {
        refresh();
        Q_EMIT completeChanged();
    };
    connect(m_dataset, &QComboBox::currentIndexChanged, this, changed);
    connect(m_tokenizer, &QComboBox::currentIndexChanged, this, changed);
    connect(m_tokenizerPanel, &TokenizerPanel::runningChanged, this, changed);
    connect(m_tokenizerPanel, &TokenizerPanel::trained, this, [this](const QString& name) {
        loadTokenizers(name);
        refresh();
        Q_EMIT completeChanged();
    });
    refresh();
}

void WizardDataPage::loadTokenizers(const QString& select)
{
    const QSignalBlocker blocker(m_tokenizer);
    const int before = m_tokenizer->currentIndex();
    m_tokenizers.clear();
    m_tokenizer->clear();
    QStringList names;
    try {
        auto project = store::Project::open(m_projectPath.toStdString());
        for (const auto& tokenizer : project.database().tokenizers()) {
            m_tokenizers.push_back({QString::fromStdString(tokenizer.name),
                                    QString::fromStdString(tokenizer.path), tokenizer.vocabSize});
            names << m_tokenizers.back().name;
            m_tokenizer->addItem(tr("%1 (vocab %2)")
                                     .arg(m_tokenizers.back().name)
                                     .arg(QLocale().toString(qint64(tokenizer.vocabSize))));
        }
    } catch (const std::exception& error) {
        m_loadError = tr("Cannot read the project %1: %2").arg(m_projectPath, error.what());
    }
    const int chosen = names.indexOf(select);
    m_tokenizer->setCurrentIndex(chosen >= 0 ? chosen : std::min(before, int(names.size()) - 1));
    if (m_tokenizer->currentIndex() < 0 && !names.isEmpty()) m_tokenizer->setCurrentIndex(0);
    m_tokenizerPanel->setExistingTokenizers(names);
}

QString WizardDataPage::tokenFile(bool train) const
{
    const int tokenizer = m_tokenizer->currentIndex();
    if (m_dataset->currentIndex() < 0 || tokenizer < 0) return {};
    const store::ProjectPaths paths(m_projectPath.toStdString());
    const auto file = paths.tokenFile(
        m_dataset->currentText().toStdString(), m_tokenizers[size_t(tokenizer)].name.toStdString(),
        train ? store::TokenSplit::Train : store::TokenSplit::Validation);
    return QString::fromStdString(paths.relative(file));
}

QString WizardDataPage::trainTokens() const
{
    return problem().isEmpty() ? tokenFile(/*train=*/true) : QString();
}

QString WizardDataPage::valTokens() const
{
    return problem().isEmpty() ? tokenFile(/*train=*/false) : QString();
}

QString WizardDataPage::tokenizerPath() const
{
    const int index = m_tokenizer->currentIndex();
    return index < 0 ? QString() : m_tokenizers[size_t(index)].path;
}

int64_t WizardDataPage::vocabSize() const
{
    const int index = m_tokenizer->currentIndex();
    return index < 0 ? 0 : m_tokenizers[size_t(index)].vocabSize;
}

QString WizardDataPage::problem() const
{
    if (!m_loadError.isEmpty()) return m_loadError;
    if (m_dataset->count() == 0)
        return tr("The project has no dataset yet: import one with `rlhf import FILES -p %1 -n "
                  "NAME`.")
            .arg(quoted(m_projectPath));
    if (m_tokenizer->count() == 0)
        return tr("The project has no tokenizer yet: train one below, or with `rlhf tokenizer "
                  "train -p %1 -d %2`.")
            .arg(quoted(m_projectPath), quoted(m_dataset->currentText()));
    const QDir root(m_projectPath);
    QStringList missing;
    for (bool train : {true, false}) {
        const QString file = tokenFile(train);
        if (!QFileInfo(root.filePath(file)).isFile()) missing << file;
    }
    if (missing.isEmpty()) return {};
    const auto& tokenizer = m_tokenizers[size_t(m_tokenizer->currentIndex())];
    return tr("Missing token file(s) %1. Train a new tokenizer below, or write them with: rlhf "
              "tokenize -p %2 -d %3 -t %4")
        .arg(missing.join(QLatin1String(", ")), quoted(m_projectPath),
             quoted(m_dataset->currentText()), quoted(tokenizer.name));
}

void WizardDataPage::refresh()
{
    const QDir root(m_projectPath);
    auto describe = [&](QLabel* label, bool train) {
        const QString file = tokenFile(train);
        const QFileInfo info(root.filePath(file));
        if (file.isEmpty())
            label->setText(tr("(choose a dataset and a tokenizer)"));
        else if (!info.isFile())
            label->setText(tr("%1 (missing)").arg(file));
        else
            label->setText(
                tr("%1: %2 tokens").arg(file, QLocale().toString(info.size() / bytesPerToken)));
    };
    describe(m_trainLabel, /*train=*/true);
    describe(m_valLabel, /*train=*/false);
    const QString text = problem();
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
    m_tokenizerPanel->setDataset(m_loadError.isEmpty() ? m_dataset->currentText() : QString());
}

bool WizardDataPage::isComplete() const
{
    return problem().isEmpty() && !m_tokenizerPanel->isRunning();
}

bool WizardDataPage::validatePage()
{
    refresh();
    return isComplete();
}

} // namespace rlhf::widgets
