#include "widgets/stagewizard/wizardsummarypage.h"

#include "widgets/stagewizard/stagewizard.h"

#include <nlohmann/json.hpp>

#include <QClipboard>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace rlhf::widgets {

WizardSummaryPage::WizardSummaryPage(const StageWizard* stage, QWidget* parent)
    : QWizardPage(parent), m_stage(stage)
{
    setTitle(tr("Summary"));
    setSubTitle(tr("Finish writes this stage document; the command runs it from a terminal."));

    m_path = new QLabel(this);
    m_path->setObjectName(QStringLiteral("documentPath"));
    m_path->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_memory = new QLabel(this);
    m_memory->setObjectName(QStringLiteral("summaryMemory"));
    m_preview = new QPlainTextEdit(this);
    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_copy = new QPushButton(tr("Copy as command"), this);
    m_copy->setObjectName(QStringLiteral("copyCommand"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("summaryMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020"));

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_path);
    layout->addWidget(m_memory);
    layout->addWidget(m_preview, /*stretch=*/1);
    layout->addWidget(m_copy, /*stretch=*/0, Qt::AlignLeft);
    layout->addWidget(m_message);

    connect(m_copy, &QPushButton::clicked, this,
            [this] { QGuiApplication::clipboard()->setText(m_stage->command()); });
}

void WizardSummaryPage::refresh()
{
    m_path->setText(tr("Document: %1").arg(m_stage->documentPath()));
    m_memory->setText(m_stage->memoryEstimate());
    m_preview->setPlainText(QString::fromStdString(m_stage->document().dump(2)));
    m_problem = m_stage->validationError();
    m_message->setText(m_problem);
    m_message->setVisible(!m_problem.isEmpty());
    m_copy->setEnabled(m_problem.isEmpty());
    Q_EMIT completeChanged();
}

void WizardSummaryPage::initializePage()
{
    refresh();
}

bool WizardSummaryPage::isComplete() const
{
    return m_problem.isEmpty();
}

bool WizardSummaryPage::validatePage()
{
    refresh();
    return m_problem.isEmpty();
}

} // namespace rlhf::widgets
