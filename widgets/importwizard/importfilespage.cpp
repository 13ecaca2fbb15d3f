#include "widgets/importwizard/importfilespage.h"

#include "core/data/readers/byte_source.h"
#include "core/data/readers/reader.h"
#include "core/store/project.h"

#include <QComboBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMimeData>
#include <QPushButton>
#include <QVBoxLayout>

#include <exception>

namespace rlhf::widgets {

namespace {

// True when a compressed file holds no bytes at all once decompressed.
bool decompressesToNothing(const QString& path)
{
    auto source = data::openByteSource(path.toStdString(), data::Compression::Auto);
    char first = 0;
    return source->read(&first, 1) == 0;
}

} // namespace

ImportFilesPage::ImportFilesPage(const QString& projectPath, QWidget* parent) : QWizardPage(parent)
{
    setTitle(tr("Files"));
    setSubTitle(tr("Text, JSONL, JSON, CSV/TSV (also .gz and .zst), or a corpus such as Cornell "
                   "Movie-Dialogs. Drop files here or add them."));
    setAcceptDrops(true);

    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("files"));
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    auto* add = new QPushButton(tr("Add files…"), this);
    add->setObjectName(QStringLiteral("addFiles"));
    auto* remove = new QPushButton(tr("Remove"), this);
    remove->setObjectName(QStringLiteral("removeFiles"));

    m_dataset = new QComboBox(this);
    m_dataset->setObjectName(QStringLiteral("datasetName"));
    m_dataset->setEditable(true);
    m_dataset->setInsertPolicy(QComboBox::NoInsert);
    m_dataset->lineEdit()->setPlaceholderText(tr("a new name, or pick an existing dataset"));
    try {
        auto project = store::Project::open(projectPath.toStdString());
        for (const auto& dataset : project.database().datasets()) {
            m_existing.append({QString::fromStdString(dataset.name),
                               QString::fromUtf8(store::datasetKindName(dataset.kind)),
                               project.database().documentCount(dataset.id)});
            m_dataset->addItem(m_existing.back().name);
        }
    } catch (const std::exception& error) {
        setSubTitle(tr("Cannot read the project %1: %2").arg(projectPath, error.what()));
    }
    m_dataset->setCurrentIndex(-1);
    m_datasetInfo = new QLabel(this);
    m_datasetInfo->setObjectName(QStringLiteral("datasetInfo"));
    m_refused = new QLabel(this);
    m_refused->setObjectName(QStringLiteral("refusedFiles"));
    m_refused->setWordWrap(true);
    m_refused->setTextFormat(Qt::PlainText);
    m_refused->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_refused->setStyleSheet(QStringLiteral("color: #b00020"));
    m_refused->setVisible(false);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch();
    auto* form = new QFormLayout;
    form->addRow(tr("Dataset"), m_dataset);
    form->addRow(QString(), m_datasetInfo);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_list, /*stretch=*/1);
    layout->addWidget(m_refused);
    layout->addLayout(buttons);
    layout->addLayout(form);

    connect(add, &QPushButton::clicked, this,
            [this] { addFiles(QFileDialog::getOpenFileNames(this, tr("Files to import"))); });
    connect(remove, &QPushButton::clicked, this, [this] {
        qDeleteAll(m_list->selectedItems());
        Q_EMIT completeChanged();
    });
    connect(m_dataset, &QComboBox::currentTextChanged, this, [this] {
        describeDataset();
        Q_EMIT completeChanged();
    });
    describeDataset();
}

QStringList ImportFilesPage::files() const
{
    QStringList paths;
    for (int row = 0; row < m_list->count(); ++row)
        paths << m_list->item(row)->data(Qt::UserRole).toString();
    return paths;
}

QString ImportFilesPage::datasetName() const
{
    return m_dataset->currentText().trimmed();
}

QString ImportFilesPage::existingKind() const
{
    for (const auto& dataset : m_existing)
        if (dataset.name == datasetName()) return dataset.kind;
    return {};
}

void ImportFilesPage::addFiles(const QStringList& paths)
{
    const QStringList listed = files();
    QStringList refused;
    for (const QString& path : paths) {
        const QFileInfo info(path);
        const QString absolute = info.absoluteFilePath();
        if (!info.isFile() || listed.contains(absolute)) continue;
        if (const QString why = refusal(absolute); !why.isEmpty()) {
            refused << tr("%1: %2").arg(absolute, why);
            continue;
        }
        auto* item = new QListWidgetItem(
            tr("%1  (%2)").arg(absolute, QLocale().formattedDataSize(info.size())), m_list);
        item->setData(Qt::UserRole, absolute);
    }
    if (datasetName().isEmpty() && m_list->count() > 0)
        m_dataset->setEditText(QFileInfo(files().front()).baseName());
    showRefused(refused);
    Q_EMIT completeChanged();
}

QString ImportFilesPage::refusedText() const
{
    return m_refused->text();
}

QString ImportFilesPage::refusal(const QString& path)
{
    const QFileInfo info(path);
    if (!info.isFile()) return tr("not found");
    if (info.size() == 0) return tr("empty (0 bytes), nothing to import");
    try {
        const data::Detection detection = data::detectFormat(path.toStdString());
        if (!detection.binary.empty()) return QString::fromStdString(detection.binary);
        if (detection.compression != data::Compression::None && decompressesToNothing(path))
            return tr("empty once decompressed, nothing to import");
    } catch (const std::exception& error) {
        return QString::fromUtf8(error.what());
    }
    return {};
}

void ImportFilesPage::showRefused(const QStringList& lines)
{
    m_refused->setText(
        lines.isEmpty()
            ? QString()
            : tr("Not added (only text can be imported):\n%1").arg(lines.join(QLatin1Char('\n'))));
    m_refused->setVisible(!lines.isEmpty());
}

void ImportFilesPage::describeDataset()
{
    const QString name = datasetName();
    for (const auto& dataset : m_existing) {
        if (dataset.name != name) continue;
        m_datasetInfo->setText(tr("Appends to the existing %1 dataset (%2 documents).")
                                   .arg(dataset.kind, QLocale().toString(dataset.documents)));
        return;
    }
    m_datasetInfo->setText(name.isEmpty() ? tr("Name the dataset the files go into.")
                                          : tr("A new dataset."));
}

bool ImportFilesPage::isComplete() const
{
    return m_list->count() > 0 && !datasetName().isEmpty();
}

bool ImportFilesPage::validatePage()
{
    QStringList refused;
    for (int row = m_list->count() - 1; row >= 0; --row) {
        const QString path = m_list->item(row)->data(Qt::UserRole).toString();
        if (const QString why = refusal(path); !why.isEmpty()) {
            refused.prepend(tr("%1: %2").arg(path, why));
            delete m_list->takeItem(row);
        }
    }
    showRefused(refused);
    if (refused.isEmpty()) return true;
    Q_EMIT completeChanged();
    return false;
}

void ImportFilesPage::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void ImportFilesPage::dropEvent(QDropEvent* event)
{
    QStringList paths;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    addFiles(paths);
    event->acceptProposedAction();
}

} // namespace rlhf::widgets
