// The options of "Improve from feedback" (see improvedialog.h).
#include "widgets/window/improvedialog.h"

#include "core/eval/feedback_improve.h"
#include "core/store/database.h"
#include "core/store/project.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

QSpinBox* stepsBox(QWidget* parent, const char* name)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(0, 1000000);
    box->setSpecialValueText(QObject::tr("auto (3 epochs)"));
    return box;
}

} // namespace

ImproveDialog::ImproveDialog(const QString& project, const QString& checkpoint, QWidget* parent)
    : QDialog(parent), m_project(project)
{
    setWindowTitle(tr("Improve from Feedback"));
    const store::ProjectPaths paths(project.toStdString());
    const store::Database database(paths.database(), store::OpenMode::ExistingOnly);
    for (const CheckpointChoice& choice : checkpointChoices(database))
        if (choice.chats) m_choices.push_back(choice);

    m_report = new QLabel(this);
    m_report->setObjectName("feedbackReport");
    m_report->setWordWrap(true);
    m_report->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_model = new QComboBox(this);
    m_model->setObjectName("improvedModel");
    fillCheckpointCombo(*m_model, m_choices,
                        checkpoint.isEmpty() ? defaultCheckpoint(m_choices) : checkpoint);
    m_method = new QComboBox(this);
    m_method->setObjectName("method");
    m_method->addItem(tr("DPO on the feedback pairs"), QStringLiteral("dpo"));
    m_method->addItem(tr("PPO against the refreshed reward model"), QStringLiteral("ppo"));
    m_rewardSteps = stepsBox(this, "rewardSteps");
    m_policySteps = stepsBox(this, "policySteps");
    m_batch = new QSpinBox(this);
    m_batch->setObjectName("batchSize");
    m_batch->setRange(1, 65536);
    m_batch->setValue(int(eval::ImproveOptions{}.batchSize));
    m_arena = new QCheckBox(tr("Arena votes with a winner are pairs too"), this);
    m_arena->setObjectName("arenaVotes");
    m_arena->setChecked(true);

    auto* form = new QFormLayout;
    form->addRow(tr("Model to improve:"), m_model);
    form->addRow(tr("Method:"), m_method);
    form->addRow(tr("Reward model steps:"), m_rewardSteps);
    form->addRow(tr("DPO / PPO steps:"), m_policySteps);
    form->addRow(tr("Batch size:"), m_batch);
    form->addRow(QString(), m_arena);
    auto* note = new QLabel(tr("Two runs: a reward model refreshed on the pairs (from the newest "
                               "reward model, else from the model), then DPO or PPO from the "
                               "model. Afterwards the Arena puts the new checkpoint against it, "
                               "names hidden."),
                            this);
    note->setWordWrap(true);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_buttons->addButton(tr("Start"), QDialogButtonBox::AcceptRole)->setObjectName("start");
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_arena, &QCheckBox::toggled, this, &ImproveDialog::refreshReport);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_report);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_buttons);
    setMinimumWidth(520);
    refreshReport();
}

void ImproveDialog::refreshReport()
{
    const store::ProjectPaths paths(m_project.toStdString());
    QString text;
    try {
        const store::Database database(paths.database(), store::OpenMode::ExistingOnly);
        const eval::FeedbackPairs pairs =
            eval::feedbackPairs(database, m_arena->isChecked() ? eval::BattleVotes::Include
                                                               : eval::BattleVotes::Exclude);
        m_pairs = qint64(pairs.pairs.size());
        for (const std::string& line : pairs.report.lines())
            text += QStringLiteral("• ") + QString::fromStdString(line).toHtmlEscaped() +
                    QStringLiteral("<br>");
    } catch (const std::exception& error) {
        m_pairs = 0;
        text = QString::fromUtf8(error.what()).toHtmlEscaped();
    }
    m_report->setText(text);
    const bool startable = m_pairs > 0 && !m_choices.empty();
    for (QAbstractButton* button : m_buttons->buttons())
        if (m_buttons->buttonRole(button) == QDialogButtonBox::AcceptRole)
            button->setEnabled(startable);
}

eval::ImproveOptions ImproveDialog::options() const
{
    eval::ImproveOptions options;
    options.from = m_model->currentData().toString().toStdString();
    options.method = m_method->currentData().toString() == QLatin1String("ppo")
                         ? eval::ImproveMethod::Ppo
                         : eval::ImproveMethod::Dpo;
    options.rewardSteps = m_rewardSteps->value();
    options.policySteps = m_policySteps->value();
    options.batchSize = m_batch->value();
    options.arenaVotes = m_arena->isChecked();
    return options;
}

} // namespace rlhf::widgets
