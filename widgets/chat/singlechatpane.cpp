// Chat with one checkpoint (see singlechatpane.h).
#include "widgets/chat/singlechatpane.h"

#include "core/store/database.h"
#include "core/store/project.h"
#include "widgets/chat/chatside.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QVBoxLayout>

namespace rlhf::widgets {

SingleChatPane::SingleChatPane(const QString& project, QWidget* parent)
    : QWidget(parent), m_project(project)
{
    m_chooser = new QComboBox(this);
    m_chooser->setObjectName("chooser");
    m_chooser->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_chooser->setMinimumContentsLength(18);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Checkpoint:"), this));
    top->addWidget(m_chooser);
    top->addStretch(1);

    m_side = new ChatSide(tr("Chat"), this);
    m_side->setObjectName("side");

    m_prompt = new QLineEdit(this);
    m_prompt->setObjectName("prompt");
    m_prompt->setPlaceholderText(tr("Message the model… (Enter sends)"));
    m_prompt->setClearButtonEnabled(true);
    m_send = new QPushButton(tr("Send"), this);
    m_send->setObjectName("send");
    m_regenerate = new QPushButton(tr("Regenerate"), this);
    m_regenerate->setObjectName("regenerate");
    m_clear = new QPushButton(tr("Clear"), this);
    m_clear->setObjectName("clear");
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(m_prompt, 1);
    bottom->addWidget(m_send);
    bottom->addWidget(m_regenerate);
    bottom->addWidget(m_clear);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_side, 1);
    layout->addLayout(bottom);

    connect(m_chooser, &QComboBox::currentIndexChanged, this, &SingleChatPane::chooserChanged);
    connect(m_prompt, &QLineEdit::returnPressed, this, &SingleChatPane::send);
    connect(m_prompt, &QLineEdit::textChanged, this, &SingleChatPane::updateButtons);
    connect(m_send, &QPushButton::clicked, this, &SingleChatPane::send);
    connect(m_regenerate, &QPushButton::clicked, m_side, &ChatSide::regenerate);
    connect(m_clear, &QPushButton::clicked, this, [this] {
        m_side->clear();
        updateButtons();
    });
    connect(m_side, &ChatSide::busyChanged, this, &SingleChatPane::updateButtons);
    refreshCheckpoints();
}

void SingleChatPane::refreshCheckpoints()
{
    const store::ProjectPaths paths(m_project.toStdString());
    const store::Database database(paths.database(), store::OpenMode::ExistingOnly);
    m_choices = checkpointChoices(database);
    const QString before = m_chooser->currentData().toString();
    fillCheckpointCombo(*m_chooser, m_choices, defaultCheckpoint(m_choices));
    if (m_chooser->currentData().toString() != before || m_side->checkpoint().isEmpty())
        chooserChanged();
    updateButtons();
}

bool SingleChatPane::choose(const QString& checkpoint)
{
    const int index = m_chooser->findData(checkpoint);
    if (index < 0 || checkpoint.isEmpty()) return false;
    m_chooser->setCurrentIndex(index); // chooserChanged() when it is another one
    return true;
}

void SingleChatPane::chooserChanged()
{
    const QString path = m_chooser->currentData().toString();
    const store::ProjectPaths paths(m_project.toStdString());
    m_side->setCheckpoint(
        path.isEmpty() ? QString()
                       : QString::fromStdString(paths.absolute(path.toStdString()).string()));
    m_side->setTitle(path.isEmpty() ? tr("Chat") : checkpointLabel(m_choices, path));
    m_side->clear(); // another model: its answers would not follow from this conversation
    updateButtons();
}

bool SingleChatPane::send()
{
    if (!m_side->send(m_prompt->text())) return false;
    m_prompt->clear();
    return true;
}

void SingleChatPane::updateButtons()
{
    const bool ready = !m_side->checkpoint().isEmpty() && !m_side->busy();
    m_send->setEnabled(ready && !m_prompt->text().trimmed().isEmpty());
    m_regenerate->setEnabled(ready && !m_side->conversation().empty());
    m_clear->setEnabled(!m_side->conversation().empty() || m_side->busy());
}

} // namespace rlhf::widgets
