// The export dialog (see exportdialog.h).
#include "widgets/window/exportdialog.h"

#include "core/chat/jinja/model_template.h"
#include "core/model/gguf_export.h"
#include "core/model/hf_export.h"
#include "core/store/project.h"
#include "widgets/chat/checkpointchoices.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <algorithm>
#include <filesystem>

namespace rlhf::widgets {

namespace {

namespace fs = std::filesystem;

QString sizeText(double bytes)
{
    return QLocale().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeSIFormat);
}

// A file's or folder's size on disk.
uint64_t sizeOnDisk(const fs::path& path)
{
    if (!fs::is_directory(path)) return fs::file_size(path);
    uint64_t bytes = 0;
    for (const auto& entry : fs::recursive_directory_iterator(path))
        if (entry.is_regular_file()) bytes += entry.file_size();
    return bytes;
}

// Runs on the worker thread: the export into `staging`, then `staging` in place of `output` (an
// existing one the user agreed to replace is removed only now), and a summary for the result
// label.
QString writeExport(const QString& folder, const QString& format, const QString& type,
                    const QString& output, const std::function<void(qint64, qint64)>& progress)
{
    const fs::path target = output.toStdString();
    const fs::path staging = target.string() + ".partial";
    auto publish = [&] {
        fs::remove_all(target);
        fs::rename(staging, target);
        return sizeText(double(sizeOnDisk(target)));
    };
    try {
        fs::remove_all(staging); // left by an export that was killed
        if (format == "hf") {
            const char* dtype = type == "f32" ? "float32" : type == "bf16" ? "bfloat16" : "float16";
            model::exportHfFolder(folder.toStdString(), staging, dtype);
            const QString size = publish();
            return QObject::tr("Wrote the Hugging Face folder %1 (%2, %3 weights).")
                .arg(output, size, QString::fromLatin1(dtype));
        }
        model::GgufExportOptions options;
        options.type = model::ggufFileTypeFromName(type.toStdString());
        const auto own = chat::jinja::ModelTemplate::load(folder.toStdString());
        if (own) options.chatTemplate = own->source();
        options.progress = [&](int64_t done, int64_t total, const std::string&) {
            progress(done, total);
        };
        const auto result = model::exportGguf(folder.toStdString(), staging, options);
        QString summary = QObject::tr("Wrote %1 (%2, %3 tensors, architecture %4, tokenizer %5%6, "
                                      "chat template %7).")
                              .arg(output, publish())
                              .arg(result.tensors)
                              .arg(QString::fromStdString(result.architecture),
                                   QString::fromStdString(result.vocab.model),
                                   result.vocab.preTokenizer.empty()
                                       ? QString()
                                       : " / " + QString::fromStdString(result.vocab.preTokenizer),
                                   own                         ? QString::fromStdString(own->file())
                                   : result.studioChatTemplate ? QObject::tr("the studio's")
                                                               : QObject::tr("none"));
        for (const std::string& note : result.notes)
            summary += "\n" + QString::fromStdString(note);
        return summary;
    } catch (const std::exception& error) {
        std::error_code ignored;
        fs::remove_all(staging, ignored); // an existing target stays as it was
        return QStringLiteral("error: ") + QString::fromUtf8(error.what());
    }
}

} // namespace

ExportDialog::ExportDialog(const QString& project, const QString& checkpoint, QWidget* parent,
                           Purpose purpose)
    : QDialog(parent), m_project(project), m_purpose(purpose)
{
    const bool merge = purpose == Purpose::MergeAdapter;
    setWindowTitle(merge ? tr("Merge LoRA Adapter") : tr("Export Checkpoint"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        merge ? tr("A LoRA checkpoint holds only its adapter (PEFT's files), on the base it names. "
                   "Merging folds the adapter into a copy of the base's weights: a standalone "
                   "Hugging Face model that runs without PEFT, in the dtype chosen.")
              : tr("GGUF runs in llama.cpp, Ollama and LM Studio, with the model's tokenizer and "
                   "chat template. A checkpoint already is a Hugging Face folder (transformers "
                   "loads it as it is); the Hugging Face export writes only the model, in the "
                   "dtype chosen, for sharing. A LoRA adapter is exported merged into its base."));
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto* form = new QFormLayout;
    m_checkpoint = new QComboBox;
    m_checkpoint->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    try {
        const store::Project opened = store::Project::open(project.toStdString());
        m_choices = checkpointChoices(opened.database());
    } catch (const std::exception& error) {
        m_choices.clear();
    }
    if (merge) { // adapters alone, each naming its base rather than indented under it
        std::erase_if(m_choices,
                      [](const CheckpointChoice& choice) { return choice.base.isEmpty(); });
        for (CheckpointChoice& choice : m_choices)
            if (choice.label.startsWith(QStringLiteral("    \u2514 ")))
                choice.label =
                    choice.label.mid(6) + tr(" on %1").arg(QFileInfo(choice.base).fileName());
    }
    fillCheckpointCombo(*m_checkpoint, m_choices);
    if (const int index = m_checkpoint->findData(checkpoint); index >= 0)
        m_checkpoint->setCurrentIndex(index);
    form->addRow(merge ? tr("Adapter") : tr("Checkpoint"), m_checkpoint);
    m_adapter = new QLabel;
    m_adapter->setWordWrap(true);
    form->addRow(QString(), m_adapter);
    m_format = new QComboBox;
    if (!merge)
        m_format->addItem(tr("GGUF (llama.cpp, Ollama, LM Studio)"), QStringLiteral("gguf"));
    m_format->addItem(merge ? tr("Hugging Face folder (base + adapter merged)")
                            : tr("Hugging Face folder"),
                      QStringLiteral("hf"));
    m_format->setEnabled(!merge);
    form->addRow(tr("Format"), m_format);
    m_type = new QComboBox;
    form->addRow(tr("Weights"), m_type);
    auto* outputRow = new QHBoxLayout;
    m_output = new QLineEdit;
    auto* browse = new QPushButton(tr("Browse…"));
    outputRow->addWidget(m_output, 1);
    outputRow->addWidget(browse);
    form->addRow(tr("Write to"), outputRow);
    layout->addLayout(form);

    m_progress = new QProgressBar;
    m_progress->setVisible(false);
    layout->addWidget(m_progress);
    m_result = new QLabel;
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    layout->addWidget(m_result, 1);

    auto* buttons = new QDialogButtonBox;
    m_export = buttons->addButton(tr("Export"), QDialogButtonBox::AcceptRole);
    m_close = buttons->addButton(QDialogButtonBox::Close);
    layout->addWidget(buttons);

    auto fillTypes = [this] {
        const QString chosen = m_type->currentData().toString();
        m_type->clear();
        m_type->addItem(tr("f16 (half the fp32 size)"), QStringLiteral("f16"));
        if (m_format->currentData() == "gguf")
            m_type->addItem(tr("q8_0 (8-bit, about half of f16)"), QStringLiteral("q8_0"));
        m_type->addItem(tr("bf16"), QStringLiteral("bf16"));
        m_type->addItem(tr("f32 (exact)"), QStringLiteral("f32"));
        const int index = m_type->findData(chosen);
        m_type->setCurrentIndex(index >= 0 ? index : 0);
    };
    fillTypes();
    connect(m_format, &QComboBox::currentIndexChanged, this, [this, fillTypes] {
        fillTypes();
        suggestOutput();
    });
    connect(m_type, &QComboBox::currentIndexChanged, this, &ExportDialog::suggestOutput);
    connect(m_checkpoint, &QComboBox::currentIndexChanged, this, &ExportDialog::suggestOutput);
    connect(m_checkpoint, &QComboBox::currentIndexChanged, this, &ExportDialog::describeAdapter);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString chosen =
            m_format->currentData() == "gguf"
                ? QFileDialog::getSaveFileName(this, tr("GGUF file"), m_output->text(),
                                               tr("GGUF (*.gguf)"), nullptr,
                                               QFileDialog::DontConfirmOverwrite) // Export asks
                : QFileDialog::getExistingDirectory(this, tr("Folder to write into"),
                                                    QFileInfo(m_output->text()).path());
        if (chosen.isEmpty()) return;
        m_output->setText(m_format->currentData() == "gguf"
                              ? chosen
                              : QDir(chosen).filePath(QFileInfo(m_output->text()).fileName()));
    });
    connect(m_export, &QPushButton::clicked, this, &ExportDialog::start);
    connect(m_close, &QPushButton::clicked, this, &ExportDialog::reject);
    connect(&m_watcher, &QFutureWatcher<QString>::finished, this, &ExportDialog::onDone);
    suggestOutput();
    describeAdapter();
    m_export->setText(merge ? tr("Merge") : tr("Export"));
    m_export->setEnabled(!m_checkpoint->currentData().toString().isEmpty());
    resize(680, 360);
}

ExportDialog::~ExportDialog()
{
    m_watcher.waitForFinished(); // the worker reports into this dialog
}

void ExportDialog::reject()
{
    if (!isExporting()) QDialog::reject();
}

void ExportDialog::describeAdapter()
{
    const QString path = m_checkpoint->currentData().toString();
    const auto chosen =
        std::find_if(m_choices.begin(), m_choices.end(),
                     [&](const CheckpointChoice& choice) { return choice.path == path; });
    if (chosen == m_choices.end() || chosen->base.isEmpty()) {
        m_adapter->setText(m_purpose == Purpose::MergeAdapter && m_choices.empty()
                               ? tr("No LoRA checkpoint in this project yet: train a stage with "
                                    "LoRA on (the stage wizard's first page).")
                               : QString());
        return;
    }
    m_adapter->setText(
        tr("A LoRA adapter on %1: written merged into that base, a standalone model.")
            .arg(chosen->base));
}

QString ExportDialog::suggestedName() const
{
    // run-3/step-000200 -> run-3-step-000200; a base model's folder name as it is.
    const QFileInfo folder(m_checkpoint->currentData().toString());
    QString name = folder.fileName();
    if (name.startsWith("step-")) name = folder.dir().dirName() + "-" + name;
    const QString type = m_type->currentData().toString();
    const QString merged =
        m_purpose == Purpose::MergeAdapter ? QStringLiteral("-merged") : QString();
    return m_format->currentData() == "gguf" ? QStringLiteral("%1-%2.gguf").arg(name, type)
                                             : QStringLiteral("%1%2-%3").arg(name, merged, type);
}

void ExportDialog::suggestOutput()
{
    if (m_checkpoint->currentData().toString().isEmpty()) return;
    m_output->setText(QDir(m_project).filePath("exports/" + suggestedName()));
}

QString ExportDialog::resolveOutput(const QString& typed, const QString& format,
                                    const QString& project, const QString& suggestedName)
{
    QString path = typed.trimmed();
    if (path.isEmpty()) return {};
    const bool gguf = format == QLatin1String("gguf");
    const bool folder = path.endsWith(QLatin1Char('/')) || (gguf && QFileInfo(path).isDir());
    path = QDir::cleanPath(QDir(project).absoluteFilePath(path));
    if (folder) return QDir(path).filePath(suggestedName);
    const QString suffix = QFileInfo(path).suffix();
    if (gguf && suffix.isEmpty()) return path + QStringLiteral(".gguf");
    if (!gguf && suffix.compare(QLatin1String("gguf"), Qt::CaseInsensitive) == 0)
        path.chop(5); // a Hugging Face export is a folder, not a .gguf file
    return path;
}

bool ExportDialog::confirmReplace(const QString& output)
{
    const QFileInfo existing(output);
    QMessageBox box(QMessageBox::Warning, tr("Replace existing export?"),
                    tr("%1 already exists (%2, modified %3). Replace it? The old one is removed "
                       "once the new export is complete.")
                        .arg(output,
                             existing.isDir() ? tr("a folder") : sizeText(double(existing.size())),
                             QLocale().toString(existing.lastModified(), QLocale::ShortFormat)),
                    QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("replaceConfirmation"));
    QPushButton* replace = box.addButton(tr("Replace"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    return box.clickedButton() == replace;
}

void ExportDialog::start()
{
    const QString path = m_checkpoint->currentData().toString();
    const QString output = resolveOutput(m_output->text(), m_format->currentData().toString(),
                                         m_project, suggestedName());
    if (path.isEmpty() || output.isEmpty()) return;
    m_output->setText(output); // where it goes, as it will be written
    m_result->setStyleSheet(QString());
    if (QFileInfo::exists(output) && !confirmReplace(output)) {
        m_result->setText(tr("Not exported: %1 already exists. Choose another name, or confirm "
                             "replacing it.")
                              .arg(output));
        return;
    }
    if (!QDir().mkpath(QFileInfo(output).path())) {
        m_result->setText(
            tr("Export failed: cannot make the folder %1.").arg(QFileInfo(output).path()));
        m_result->setStyleSheet(QStringLiteral("color: #b00;"));
        return;
    }
    const QString folder = QString::fromStdString(
        store::ProjectPaths(m_project.toStdString()).absolute(path.toStdString()).string());
    m_export->setEnabled(false);
    m_close->setEnabled(false);
    m_progress->setRange(0, 0);
    m_progress->setVisible(true);
    m_result->setText(tr("Writing %1…").arg(output));
    // From the worker thread; the destructor waits for the worker, so `this` outlives it.
    auto progress = [this](qint64 done, qint64 total) {
        QMetaObject::invokeMethod(
            this, [this, done, total] { onProgress(done, total); }, Qt::QueuedConnection);
    };
    m_watcher.setFuture(QtConcurrent::run(writeExport, folder, m_format->currentData().toString(),
                                          m_type->currentData().toString(), output, progress));
}

void ExportDialog::onProgress(qint64 done, qint64 total)
{
    m_progress->setRange(0, int(total));
    m_progress->setValue(int(done));
}

void ExportDialog::onDone()
{
    const QString summary = m_watcher.result();
    const bool ok = !summary.startsWith("error: ");
    m_result->setText(ok ? summary : tr("Export failed: %1").arg(summary.mid(7)));
    m_result->setStyleSheet(ok ? QString() : QStringLiteral("color: #b00;"));
    m_progress->setVisible(ok);
    if (ok) m_progress->setValue(m_progress->maximum());
    m_export->setEnabled(true);
    m_close->setEnabled(true);
    Q_EMIT finished(ok);
}

} // namespace rlhf::widgets
