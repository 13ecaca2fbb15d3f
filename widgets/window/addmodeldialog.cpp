// The Add Model dialog (see addmodeldialog.h).
#include "widgets/window/addmodeldialog.h"

#include "core/store/project.h"
#include "core/train/base_model.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStringList>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

QString bytesText(double bytes)
{
    return QLocale().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeSIFormat);
}

QString countText(double count)
{
    if (count >= 1e9) return QStringLiteral("%1 B").arg(count / 1e9, 0, 'f', 2);
    if (count >= 1e6) return QStringLiteral("%1 M").arg(count / 1e6, 0, 'f', 1);
    return QLocale().toString(qint64(count));
}

// The summary of describeModelFolder()'s JSON as rich text rows.
QString summaryOf(const nlohmann::ordered_json& info)
{
    auto text = [&](const char* key) { return QString::fromStdString(info.at(key).dump()); };
    auto word = [&](const char* key) {
        return QString::fromStdString(info.at(key).get<std::string>());
    };
    const auto parameters = info.at("parameters").get<double>();
    QString rows;
    auto row = [&](const QString& name, const QString& value) {
        rows += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>")
                    .arg(name.toHtmlEscaped(), value);
    };
    row(QObject::tr("Architecture"),
        QStringLiteral("%1 (%2)").arg(word("architecture"), word("family")));
    row(QObject::tr("Parameters"),
        QObject::tr("%1 · %2 layers, width %3, %4 heads (%5 for keys/values), vocabulary %6")
            .arg(countText(parameters), text("layers"), text("dim"), text("heads"),
                 text("kv_heads"), text("vocab_size")));
    row(QObject::tr("Weights"),
        QObject::tr("%1, %2 on disk")
            .arg(word("dtype"), bytesText(info.at("weight_bytes").get<double>())));
    row(QObject::tr("Context"),
        QObject::tr("%1 tokens, rope %2").arg(text("context_length"), word("rope_type")));
    row(QObject::tr("Tokenizer"), info.at("tokenizer").get<bool>()
                                      ? QObject::tr("tokenizer.json")
                                      : QObject::tr("<span style='color:#b00'>missing: the "
                                                    "model cannot be added</span>"));
    if (const auto adapter = info.find("adapter"); adapter != info.end()) {
        QStringList targets;
        for (const auto& target : adapter->at("target_modules"))
            targets << QString::fromStdString(target.get<std::string>());
        row(QObject::tr("LoRA adapter"),
            QObject::tr("rank %1 on %2 (%3 parameters, %4) over the base %5; added into the "
                        "project's adapters/ folder")
                .arg(QString::fromStdString(adapter->at("rank").dump()),
                     targets.join(QStringLiteral(", ")).toHtmlEscaped(),
                     countText(adapter->at("parameters").get<double>()),
                     bytesText(adapter->at("bytes").get<double>()),
                     QString::fromStdString(adapter->at("base").get<std::string>())
                         .toHtmlEscaped()));
    }
    const auto& memory = info.at("memory_bytes");
    row(QObject::tr("Memory"),
        QObject::tr("chat ≈ %1 · full fine-tuning ≈ %2 plus activations (fp32 weights, "
                    "gradients and AdamW moments)")
            .arg(bytesText(memory.at("chat").get<double>()),
                 bytesText(memory.at("full_finetune").get<double>())));
    return QStringLiteral("<table>%1</table>").arg(rows);
}

} // namespace

AddModelDialog::AddModelDialog(const QString& project, QWidget* parent)
    : QDialog(parent), m_project(project)
{
    setWindowTitle(tr("Add Model"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        tr("A Hugging Face model folder (config.json, safetensors weights, tokenizer.json), or "
           "its Hugging Face cache folder (models--Org--Name). The weights stay where they are; "
           "the project refers to the folder. It becomes a start for SFT, reward, DPO, PPO and "
           "GRPO, and a contestant in chat and the arena. Checkpoints trained from it are "
           "Hugging Face folders too."));
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto* form = new QFormLayout;
    auto* folderRow = new QHBoxLayout;
    m_folder = new QLineEdit;
    m_folder->setPlaceholderText(tr("/path/to/Qwen2.5-0.5B-Instruct"));
    auto* browse = new QPushButton(tr("Browse…"));
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(browse);
    form->addRow(tr("Folder"), folderRow);
    m_name = new QLineEdit;
    form->addRow(tr("Name"), m_name);
    layout->addLayout(form);

    m_summary = new QLabel;
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);
    m_problem = new QLabel;
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #b00;"));
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_problem);
    layout->addWidget(new QLabel(tr("Its chat template, rendering a short conversation:")));
    m_preview = new QPlainTextEdit;
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_preview->setPlaceholderText(
        tr("(no chat template: the studio's own is used, as for models trained from scratch)"));
    layout->addWidget(m_preview, 1);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    m_add = buttons->addButton(tr("Add"), QDialogButtonBox::AcceptRole);
    m_add->setEnabled(false);
    layout->addWidget(buttons);

    connect(browse, &QPushButton::clicked, this, [this] {
        const QString folder =
            QFileDialog::getExistingDirectory(this, tr("Model folder"), m_folder->text());
        if (!folder.isEmpty()) setFolder(folder);
    });
    connect(m_folder, &QLineEdit::editingFinished, this, &AddModelDialog::describe);
    connect(m_add, &QPushButton::clicked, this, &AddModelDialog::add);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    resize(720, 560);
}

AddModelDialog::~AddModelDialog()
{
    // QWidget's destructor hides the dialog, which takes the focus from the folder edit and so
    // finishes its editing: describe() must not run then, on members already destroyed.
    disconnect(m_folder, nullptr, this, nullptr);
}

void AddModelDialog::setFolder(const QString& folder)
{
    m_folder->setText(folder);
    describe();
}

void AddModelDialog::describe()
{
    m_summary->clear();
    m_preview->clear();
    m_problem->clear();
    m_add->setEnabled(false);
    const QString chosen = m_folder->text().trimmed();
    if (chosen.isEmpty()) return;
    try {
        const auto folder = train::modelFolderOf(chosen.toStdString());
        const nlohmann::ordered_json info = train::describeModelFolder(folder);
        m_summary->setText(summaryOf(info));
        const auto& chatTemplate = info.at("chat_template");
        if (chatTemplate.is_object() && chatTemplate.contains("preview"))
            m_preview->setPlainText(
                QString::fromStdString(chatTemplate.at("preview").get<std::string>()));
        else if (chatTemplate.is_object())
            m_problem->setText(tr("Its chat template cannot be used: %1")
                                   .arg(QString::fromStdString(chatTemplate.at("error"))));
        // A name the user typed stays; one this dialog suggested follows the folder.
        if (m_name->text().isEmpty() || m_name->text() == m_suggestedName) {
            m_suggestedName = QString::fromStdString(train::suggestedModelName(folder));
            m_name->setText(m_suggestedName);
        }
        m_add->setEnabled(info.at("tokenizer").get<bool>() && m_problem->text().isEmpty());
    } catch (const std::exception& error) {
        m_problem->setText(QString::fromUtf8(error.what()));
    }
}

void AddModelDialog::add()
{
    try {
        store::Project project = store::Project::open(m_project.toStdString());
        const store::BaseModel model =
            train::addBaseModel(project, m_folder->text().trimmed().toStdString(),
                                m_name->text().trimmed().toStdString());
        m_addedName = QString::fromStdString(model.name);
        accept();
    } catch (const std::exception& error) {
        m_problem->setText(QString::fromUtf8(error.what()));
    }
}

} // namespace rlhf::widgets
