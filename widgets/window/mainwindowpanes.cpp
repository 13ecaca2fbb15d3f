// The main window's human-preference tabs: Labeling, Arena and Chat. The arena and the chat
// are built per project (each opens its own database connection); the labeling pane is
// re-pointed. A vote in the arena can be judged again in the labeling queue, so the arena's
// voter (and the chat's rater) is the labeling pane's annotator.
#include "widgets/window/mainwindow.h"

#include "widgets/chat/arenapane.h"
#include "widgets/chat/singlechatpane.h"
#include "widgets/labeling/labelingpane.h"

#include <QLabel>
#include <QLineEdit>
#include <QTabWidget>

namespace rlhf::widgets {

void MainWindow::buildHumanPanes()
{
    m_labeling = new LabelingPane;
    m_tabs->addTab(m_labeling, "Labeling");
    m_tabs->addTab(new QLabel("Open a project to compare its checkpoints."), "Arena");
    m_tabs->addTab(new QLabel("Open a project to chat with one of its checkpoints."), "Chat");
}

void MainWindow::openHumanPanes(const QString& folder)
{
    m_labeling->setProject(folder);
    auto replace = [this](const QString& title, QWidget* pane) {
        for (int index = 0; index < m_tabs->count(); ++index) {
            if (m_tabs->tabText(index) != title) continue;
            QWidget* old = m_tabs->widget(index);
            m_tabs->removeTab(index);
            m_tabs->insertTab(index, pane, title);
            old->deleteLater();
            return;
        }
    };
    m_arena = new ArenaPane(folder);
    m_chat = new SingleChatPane(folder);
    replace("Arena", m_arena);
    replace("Chat", m_chat);
    auto followAnnotator = [this] {
        m_arena->setVoter(m_labeling->annotatorEdit()->text());
        m_chat->setRater(m_labeling->annotatorEdit()->text());
    };
    followAnnotator();
    connect(m_labeling->annotatorEdit(), &QLineEdit::editingFinished, m_arena, followAnnotator);
    connect(m_arena, &ArenaPane::voted, m_labeling, &LabelingPane::reloadQueue);
    connect(m_chat, &SingleChatPane::improveRequested, this, &MainWindow::improveFromFeedback);
}

void MainWindow::refreshHumanPanes()
{
    m_labeling->refreshSources();
    if (m_arena) m_arena->refreshCheckpoints();
    if (m_chat) m_chat->refreshCheckpoints();
}

} // namespace rlhf::widgets
