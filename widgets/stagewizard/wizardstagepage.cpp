#include "widgets/stagewizard/wizardstagepage.h"

#include "widgets/stagewizard/wordcombo.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpressionValidator>

#include <algorithm>

namespace rlhf::widgets {

namespace {

QString runDocument(const QString& projectPath, const QString& name)
{
    return QDir(projectPath).filePath(QStringLiteral("runs/%1.json").arg(name));
}

struct StageChoice {
    store::RunStage stage;
    const char* title;
    const char* explanation;
};

// In the order a model goes through them.
constexpr StageChoice stageChoices[] = {
    {store::RunStage::Pretrain, "Pretrain",
     "Next-token prediction on a token file: a new model from scratch."},
    {store::RunStage::Sft, "SFT (supervised fine-tuning)",
     "Teaches a checkpoint to answer: next-token loss on the assistant turns of chat data."},
    {store::RunStage::Reward, "Reward model",
     "Trains a scalar score from preference pairs (chosen beats rejected), for PPO and GRPO."},
    {store::RunStage::Dpo, "DPO / IPO",
     "Learns from preference pairs directly, anchored to the starting checkpoint; no reward "
     "model."},
    {store::RunStage::Ppo, "PPO",
     "Reinforcement learning: samples replies to prompts, scores them with a reward model and/or "
     "rules, and updates the policy with a value model and a KL penalty."},
    {store::RunStage::Grpo, "GRPO",
     "Reinforcement learning without a value model: several samples per prompt, each scored "
     "against its group's mean (DeepSeekMath)."},
};

} // namespace

WizardStagePage::WizardStagePage(const QString& projectPath, QWidget* parent)
    : QWizardPage(parent), m_projectPath(projectPath)
{
    setTitle(tr("Stage"));
    setSubTitle(tr("What to train and what to call the run."));

    m_stage = new QComboBox(this);
    m_stage->setObjectName(QStringLiteral("stage"));
    for (const auto& choice : stageChoices) {
        // The item's data is the stage's document word, e.g. "sft".
        m_stage->addItem(tr(choice.title), wordText(store::runStageName(choice.stage)));
        m_stage->setItemData(m_stage->count() - 1, tr(choice.explanation), Qt::ToolTipRole);
    }
    m_stage->setToolTip(tr("The training stage this document configures. Every stage after "
                           "pretrain starts from a checkpoint of an earlier run."));
    m_explanation = new QLabel(this);
    m_explanation->setObjectName(QStringLiteral("stageExplanation"));
    m_explanation->setWordWrap(true);

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("runName"));
    m_name->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")), m_name));
    m_name->setToolTip(tr("Letters, digits, '.', '_' and '-'; the document is runs/<name>.json"));
    m_name->setText(freeName(stage()));

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("stageMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020"));

    auto* layout = new QFormLayout(this);
    layout->addRow(tr("Stage"), m_stage);
    layout->addRow(QString(), m_explanation);
    layout->addRow(tr("Run name"), m_name);
    layout->addRow(m_message);

    registerField(QStringLiteral("runName"), m_name);
    registerField(QStringLiteral("stage"), m_stage, "currentIndex",
                  SIGNAL(currentIndexChanged(int)));
    connect(m_name, &QLineEdit::textChanged, this, [this] {
        updateMessage();
        Q_EMIT completeChanged();
    });
    connect(m_stage, &QComboBox::currentIndexChanged, this, [this] {
        // A proposed name follows the stage; one the user typed stays.
        if (m_name->text().contains(QRegularExpression(QStringLiteral("^[a-z]+-\\d+$"))))
            m_name->setText(freeName(stage()));
        updateExplanation();
    });
    updateExplanation();
    updateMessage();
}

store::RunStage WizardStagePage::stage() const
{
    return stageChoices[std::max(0, m_stage->currentIndex())].stage;
}

QString WizardStagePage::freeName(store::RunStage stage) const
{
    const QString word = wordText(store::runStageName(stage));
    int suffix = 1;
    while (QFileInfo::exists(
        runDocument(m_projectPath, QStringLiteral("%1-%2").arg(word).arg(suffix))))
        ++suffix;
    return QStringLiteral("%1-%2").arg(word).arg(suffix);
}

void WizardStagePage::allowExisting(const QString& name)
{
    if (!m_ownDocuments.contains(name)) m_ownDocuments << name;
    updateMessage();
}

void WizardStagePage::updateExplanation()
{
    m_explanation->setText(m_stage->currentData(Qt::ToolTipRole).toString());
}

QString WizardStagePage::problem() const
{
    const QString name = m_name->text();
    if (name.isEmpty()) return tr("Enter a run name.");
    if (!m_name->hasAcceptableInput())
        return tr("Run name \"%1\" may only hold letters, digits, '.', '_' and '-' and must start "
                  "with a letter or digit.")
            .arg(name);
    if (QFileInfo::exists(runDocument(m_projectPath, name)) && !m_ownDocuments.contains(name))
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
