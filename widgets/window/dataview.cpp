#include "widgets/window/dataview.h"

#include "core/store/project.h"
#include "widgets/window/datasetpage.h"

#include <QListWidget>
#include <QLocale>
#include <QSplitter>
#include <QVBoxLayout>

#include <exception>

namespace rlhf::widgets {

namespace {

constexpr int kIdRole = Qt::UserRole; // list item data: the dataset's id

} // namespace

DataView::DataView(QWidget* parent) : QWidget(parent)
{
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("datasetList"));
    m_list->setSpacing(3);
    m_page = new DatasetPage(this);
    m_page->setObjectName(QStringLiteral("datasetPage"));
    auto* splitter = new QSplitter(this);
    splitter->addWidget(m_list);
    splitter->addWidget(m_page);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({240, 1000});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);
    connect(m_list, &QListWidget::currentRowChanged, this, &DataView::showSelected);
    // A restore changed the counts in the list; the page reloads itself.
    connect(m_page, &DatasetPage::documentsChanged, this, [this] { fillList({}); });
}

void DataView::setProject(const QString& projectPath, const QString& selectName)
{
    m_projectPath = projectPath;
    m_list->clear();
    refresh(selectName);
}

void DataView::refresh(const QString& selectName)
{
    const qint64 shown = fillList(selectName);
    if (shown != m_page->datasetId() || shown == 0)
        m_page->showDataset(m_projectPath, shown);
    else
        m_page->reload();
}

void DataView::refreshList()
{
    const qint64 shown = fillList({});
    if (shown != m_page->datasetId()) m_page->showDataset(m_projectPath, shown);
}

qint64 DataView::fillList(const QString& selectName)
{
    const QListWidgetItem* current = m_list->currentItem();
    const qint64 keep = current ? current->data(kIdRole).toLongLong() : 0;
    const QSignalBlocker blocker(m_list);
    m_list->clear();
    int select = -1;
    try {
        auto database = store::Database(store::ProjectPaths(m_projectPath.toStdString()).database(),
                                        store::OpenMode::ExistingOnly);
        for (const auto& dataset : database.datasets()) {
            const QString name = QString::fromStdString(dataset.name);
            auto* item = new QListWidgetItem(
                tr("%1\n%2 · %3 documents")
                    .arg(name, QString::fromUtf8(store::datasetKindName(dataset.kind)),
                         QLocale().toString(qint64(database.documentCount(dataset.id)))),
                m_list);
            item->setData(kIdRole, qint64(dataset.id));
            if (name == selectName || (selectName.isEmpty() && dataset.id == keep))
                select = m_list->count() - 1;
        }
    } catch (const std::exception& error) {
        auto* item =
            new QListWidgetItem(tr("Cannot read the project: %1").arg(error.what()), m_list);
        item->setFlags(Qt::NoItemFlags);
    }
    if (select < 0 && m_list->count() > 0 && (m_list->item(0)->flags() & Qt::ItemIsEnabled))
        select = 0;
    m_list->setCurrentRow(select);
    return select < 0 ? 0 : m_list->item(select)->data(kIdRole).toLongLong();
}

void DataView::showSelected()
{
    const QListWidgetItem* item = m_list->currentItem();
    m_page->showDataset(m_projectPath, item ? item->data(kIdRole).toLongLong() : 0);
}

} // namespace rlhf::widgets
