// The first page of the studio (see welcomepage.h).
#include "widgets/window/welcomepage.h"

#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace rlhf::widgets {

WelcomePage::WelcomePage(QWidget* parent) : QWidget(parent)
{
    setObjectName("welcomePage");
    auto* outer = new QHBoxLayout(this);
    auto* column = new QVBoxLayout;
    outer->addStretch(1);
    outer->addLayout(column, 3);
    outer->addStretch(1);

    auto* title = new QLabel(tr("<h1>RLHF Studio</h1>"));
    auto* intro = new QLabel(
        tr("Train ChatGPT-style models on your own data: import and clean data sets, train a "
           "tokenizer, then pretrain, fine-tune, and align with a reward model, PPO, DPO or "
           "GRPO. A project is one folder; everything it makes stays inside it."));
    intro->setWordWrap(true);
    column->addStretch(1);
    column->addWidget(title);
    column->addWidget(intro);

    auto* buttons = new QHBoxLayout;
    auto* create = new QPushButton(tr("New Project…"));
    auto* open = new QPushButton(tr("Open Project…"));
    auto* demo = new QPushButton(tr("Open the Demo Project…"));
    demo->setToolTip(tr("A project with the addition task's SFT, preference and prompt data sets "
                        "and a tokenizer, ready for New Run (written into a folder you choose)"));
    for (QPushButton* button : {create, open, demo})
        buttons->addWidget(button);
    buttons->addStretch(1);
    column->addLayout(buttons);

    column->addWidget(new QLabel(tr("<b>Recent projects</b>")));
    m_recent = new QListWidget;
    m_recent->setObjectName("recentProjects");
    column->addWidget(m_recent, 2);
    column->addStretch(1);

    connect(create, &QPushButton::clicked, this, &WelcomePage::newProjectRequested);
    connect(open, &QPushButton::clicked, this, &WelcomePage::openProjectRequested);
    connect(demo, &QPushButton::clicked, this, &WelcomePage::demoProjectRequested);
    connect(m_recent, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        if (item->flags() & Qt::ItemIsEnabled)
            Q_EMIT recentProjectRequested(item->data(Qt::UserRole).toString());
    });
}

void WelcomePage::setRecentProjects(const QStringList& folders)
{
    m_recent->clear();
    for (const QString& folder : folders) {
        auto* item = new QListWidgetItem(QDir::toNativeSeparators(folder), m_recent);
        item->setData(Qt::UserRole, folder);
        if (!QFileInfo::exists(folder + "/project.sqlite")) {
            item->setText(tr("%1 (missing)").arg(QDir::toNativeSeparators(folder)));
            item->setFlags(item->flags() & ~Qt::ItemIsEnabled);
        }
    }
    if (folders.isEmpty()) {
        auto* item = new QListWidgetItem(tr("None yet"), m_recent);
        item->setFlags(Qt::NoItemFlags);
    }
}

} // namespace rlhf::widgets
