#include "widgets/wizardstagepage.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpressionValidator>

namespace rlhf::widgets {

namespace {

QString runDocument(const QString& projectPath, const QString& name)
{
    return QDir(projectPath).filePath(QStringLiteral("runs/%1.json").arg(name));
}

} // namespace

WizardStagePage::WizardStagePage(const QString& projectPath, QWidget* parent)
    : QWizardPage(parent), m_projectPath(projectPath)
{
    setTitle(tr("Stage"));
    setSubTitle(tr("What to train and what to call the run."));

    m_stage = new QComboBox(this);
    m_stage->setObjectName(QStringLiteral("stage"));
    m_stage->addItem(tr("Pretrain (next-token prediction on a token file)"),
                     QStringLiteral("pretrain"));

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("runName"));
    m_name->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")), m_name));
    m_name->setToolTip(tr("Letters, digits, '.', '_' and '-'; the document is runs/<name>.json"));
    int suffix = 1;
    while (QFileInfo::exists(runDocument(projectPath, QStringLiteral("pretrain-%1").arg(suffix))))
        ++suffix;
    m_name->setText(QStringLiteral("pretrain-%1").arg(suffix));

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("stageMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020"));

    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Stage"), m_stage);
    layout->addRow(tr("Run name"), m_name);
    layout->addRow(m_message);

    registerField(QStringLiteral("runName"), m_name);
    connect(m_name, &QLineEdit::textChanged, this, [this] {
        updateMessage();
        Q_EMIT completeChanged();
    });
    updateMessage();
}

QString WizardStagePage::problem() const
{
    const QString name = m_name->text();
    if (name.isEmpty()) return tr("Enter a run name.");
    if (!m_name->hasAcceptableInput())
        return tr("Run name \"%1\" may only hold letters, digits, '.', '_' and '-' and must start "
                  "with a letter or digit.")
            .arg(name);
    if (QFileInfo::exists(runDocument(m_projectPath, name)))
        return tr("runs/%1.json already exists in the project; choose another name.").arg(name);
    return {};
}

void WizardStagePage::updateMessage()
{
    const QString text = problem();
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

bool WizardStagePage::isComplete() const
{
    return problem().isEmpty();
}

bool WizardStagePage::validatePage()
{
    updateMessage();
    return problem().isEmpty();
}

} // namespace rlhf::widgets
