#include "widgets/importwizard/importformatpage.h"

#include "widgets/importwizard/importfilespage.h"
#include "widgets/importwizard/recordhtml.h"
#include "widgets/window/latestjob.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <exception>

namespace rlhf::widgets {

namespace {

constexpr size_t kPreviewRows = 50;          // rows in the preview table
constexpr size_t kPreviewRecords = 5;        // records rendered as transcripts
constexpr int64_t kMaxPreviewProblems = 200; // stop reading a file that yields only problems
constexpr int kCellChars = 200;              // a preview cell shows at most this many characters

// Keeps the first few records a reader makes, then stops it.
class FirstRecords : public data::RecordSink {
public:
    std::vector<data::Record> records;

    bool record(data::Record&& record) override
    {
        records.push_back(std::move(record));
        return records.size() < kPreviewRecords;
    }
    void problem(data::ReadProblem&&) override { ++m_problems; }
    bool progress(uint64_t, uint64_t) override { return m_problems < kMaxPreviewProblems; }

private:
    int64_t m_problems = 0;
};

FormatPreview computePreview(const QStringList& files, int previewed, data::ReadOptions options)
{
    FormatPreview preview;
    for (const QString& file : files) {
        try {
            preview.detections.push_back(data::detectFormat(file.toStdString(), options));
        } catch (const std::exception& error) {
            preview.error = QString::fromUtf8(error.what());
            return preview;
        }
    }
    if (previewed < 0 || previewed >= files.size()) return preview;
    const std::string file = files[previewed].toStdString();
    const auto& detected = preview.detections[size_t(previewed)];
    options.format = detected.format;
    options.compression = detected.compression;
    options.shape = detected.shape;
    try {
        preview.table = data::previewTable(file, options, kPreviewRows);
        FirstRecords sink;
        data::readRecords(file, options, sink);
        preview.records = std::move(sink.records);
    } catch (const std::exception& error) {
        preview.error = QString::fromUtf8(error.what());
    }
    return preview;
}

template <typename Enum, typename NameFn>
QComboBox* enumCombo(QWidget* parent, const char* name, std::initializer_list<Enum> values,
                     NameFn nameOf)
{
    auto* combo = new QComboBox(parent);
    combo->setObjectName(QLatin1String(name));
    for (Enum value : values)
        combo->addItem(QString::fromUtf8(nameOf(value)), int(value));
    return combo;
}

QString compressionName(data::Compression compression)
{
    switch (compression) {
    case data::Compression::Auto:
        return QStringLiteral("auto");
    case data::Compression::None:
        return QStringLiteral("none");
    case data::Compression::Gzip:
        return QStringLiteral("gzip");
    case data::Compression::Zstd:
        return QStringLiteral("zstd");
    }
    return {};
}

} // namespace

ImportFormatPage::ImportFormatPage(const ImportFilesPage* files, QWidget* parent)
    : QWizardPage(parent), m_files(files),
      m_job(std::make_unique<LatestJob<FormatPreview>>(
          this, [this](const FormatPreview& preview) { showPreview(preview); }))
{
    setTitle(tr("Format"));
    setSubTitle(tr("What the files look like to the readers. Override anything detected wrongly."));

    using data::FileFormat;
    using data::RecordShape;
    m_format = enumCombo(this, "format",
                         {FileFormat::Auto, FileFormat::Text, FileFormat::Jsonl,
                          FileFormat::JsonArray, FileFormat::Csv, FileFormat::Tsv,
                          FileFormat::Cornell, FileFormat::StackExchange, FileFormat::Reddit},
                         data::fileFormatName);
    m_compression = new QComboBox(this);
    m_compression->setObjectName(QStringLiteral("compression"));
    for (auto value : {data::Compression::Auto, data::Compression::None, data::Compression::Gzip,
                       data::Compression::Zstd})
        m_compression->addItem(compressionName(value), int(value));
    m_unit = new QComboBox(this);
    m_unit->setObjectName(QStringLiteral("textUnit"));
    m_unit->addItem(tr("line"), int(data::TextUnit::Line));
    m_unit->addItem(tr("paragraph"), int(data::TextUnit::Paragraph));
    m_unit->addItem(tr("whole file"), int(data::TextUnit::File));
    m_shape =
        enumCombo(this, "shape",
                  {RecordShape::Auto, RecordShape::Text, RecordShape::Alpaca, RecordShape::ShareGpt,
                   RecordShape::Messages, RecordShape::Preference, RecordShape::HhRlhf},
                  data::recordShapeName);
    m_previewFile = new QComboBox(this);
    m_previewFile->setObjectName(QStringLiteral("previewFile"));
    m_detected = new QLabel(this);
    m_detected->setObjectName(QStringLiteral("detected"));
    m_detected->setWordWrap(true);
    m_detected->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_tableModel = new QStandardItemModel(this);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("previewTable"));
    m_table->setModel(m_tableModel);
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setDefaultSectionSize(180);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_transcript = new QTextBrowser(this);
    m_transcript->setObjectName(QStringLiteral("transcript"));
    auto* tabs = new QTabWidget(this);
    tabs->addTab(m_transcript, tr("Records (chat template)"));
    tabs->addTab(m_table, tr("Rows (raw fields)"));

    auto* overrides = new QGridLayout;
    overrides->addWidget(new QLabel(tr("Format"), this), 0, 0);
    overrides->addWidget(m_format, 0, 1);
    overrides->addWidget(new QLabel(tr("Compression"), this), 0, 2);
    overrides->addWidget(m_compression, 0, 3);
    overrides->addWidget(new QLabel(tr("Text unit"), this), 1, 0);
    overrides->addWidget(m_unit, 1, 1);
    overrides->addWidget(new QLabel(tr("Record shape"), this), 1, 2);
    overrides->addWidget(m_shape, 1, 3);
    overrides->setColumnStretch(1, 1);
    overrides->setColumnStretch(3, 1);
    auto* previewRow = new QFormLayout;
    previewRow->addRow(tr("Preview of"), m_previewFile);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(overrides);
    layout->addWidget(m_detected);
    layout->addLayout(previewRow);
    layout->addWidget(tabs, /*stretch=*/1);

    for (QComboBox* combo : {m_format, m_compression, m_unit, m_shape, m_previewFile})
        connect(combo, &QComboBox::currentIndexChanged, this, &ImportFormatPage::requestPreview);
}

ImportFormatPage::~ImportFormatPage() = default;

data::ReadOptions ImportFormatPage::readOptions() const
{
    data::ReadOptions options;
    options.format = data::FileFormat(m_format->currentData().toInt());
    options.compression = data::Compression(m_compression->currentData().toInt());
    options.unit = data::TextUnit(m_unit->currentData().toInt());
    options.shape = data::RecordShape(m_shape->currentData().toInt());
    return options;
}

bool ImportFormatPage::previewBusy() const
{
    return m_job->busy();
}

void ImportFormatPage::initializePage()
{
    const QStringList files = m_files->files();
    if (files == m_requestedFiles && m_ready) return;
    const QSignalBlocker blocker(m_previewFile);
    m_previewFile->clear();
    for (const QString& file : files)
        m_previewFile->addItem(QFileInfo(file).fileName(), file);
    requestPreview();
}

void ImportFormatPage::requestPreview()
{
    m_ready = false;
    Q_EMIT completeChanged();
    m_detected->setText(tr("Detecting…"));
    m_requestedFiles = m_files->files();
    const QStringList files = m_requestedFiles;
    const int previewed = qMax(0, m_previewFile->currentIndex());
    const data::ReadOptions options = readOptions();
    m_job->request(
        [files, previewed, options] { return computePreview(files, previewed, options); });
}

void ImportFormatPage::showPreview(const FormatPreview& preview)
{
    m_tableModel->clear();
    m_transcript->clear();
    if (!preview.error.isEmpty() || preview.detections.empty()) {
        m_detected->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                                .arg(preview.error.toHtmlEscaped()));
        m_ready = false;
        Q_EMIT completeChanged();
        return;
    }
    m_detection = preview.detections.front();
    m_rows = preview.table;
    QStringList lines;
    for (int i = 0; i < int(preview.detections.size()); ++i) {
        const auto& detection = preview.detections[size_t(i)];
        lines << QStringLiteral("<b>%1</b>: %2 &rarr; <i>%3 records</i>")
                     .arg(QFileInfo(m_requestedFiles.value(i)).fileName().toHtmlEscaped(),
                          QString::fromStdString(detection.explanation).toHtmlEscaped(),
                          QString::fromUtf8(data::recordKindName(detection.kind)));
    }
    const QString problem = kindProblem(preview);
    if (!problem.isEmpty())
        lines
            << QStringLiteral("<span style='color:#b00020'>%1</span>").arg(problem.toHtmlEscaped());
    m_detected->setText(lines.join(QLatin1String("<br>")));

    QStringList headers;
    for (const auto& column : preview.table.columns)
        headers << QString::fromStdString(column);
    m_tableModel->setHorizontalHeaderLabels(headers);
    for (const auto& row : preview.table.rows) {
        QList<QStandardItem*> items;
        for (const auto& cell : row) {
            const QString value = QString::fromStdString(cell);
            auto* item = new QStandardItem(value.left(kCellChars));
            item->setToolTip(value.left(kCellChars * 10));
            item->setEditable(false);
            items << item;
        }
        m_tableModel->appendRow(items);
    }
    m_transcript->setHtml(preview.records.empty()
                              ? tr("<p><i>The readers made no record from the first rows: check "
                                   "the format and shape.</i></p>")
                              : recordsHtml(preview.records));
    m_ready = problem.isEmpty();
    Q_EMIT completeChanged();
    Q_EMIT previewReady();
}

QString ImportFormatPage::kindProblem(const FormatPreview& preview) const
{
    const auto first = preview.detections.front().kind;
    const QString kind = QString::fromUtf8(data::recordKindName(first));
    for (size_t i = 1; i < preview.detections.size(); ++i) {
        if (preview.detections[i].kind == first) continue;
        return tr("%1 holds %2 records but %3 holds %4 records: a dataset holds one kind.")
            .arg(QFileInfo(m_requestedFiles.value(int(i))).fileName(),
                 QString::fromUtf8(data::recordKindName(preview.detections[i].kind)),
                 QFileInfo(m_requestedFiles.value(0)).fileName(), kind);
    }
    const QString existing = m_files->existingKind();
    if (!existing.isEmpty() && existing != kind)
        return tr("The dataset %1 holds %2 documents; these files hold %3 records. Choose "
                  "another dataset name, or override the record shape.")
            .arg(m_files->datasetName(), existing, kind);
    return {};
}

bool ImportFormatPage::isComplete() const
{
    return m_ready;
}

} // namespace rlhf::widgets
