#include "widgets/importwizard/importmappingpage.h"

#include "widgets/importwizard/importformatpage.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace rlhf::widgets {

namespace {

const QString kAbsent = QStringLiteral("(absent)"); // an optional field the files lack

} // namespace

ImportMappingPage::ImportMappingPage(const ImportFormatPage* format, QWidget* parent)
    : QWizardPage(parent), m_format(format)
{
    setTitle(tr("Field mapping"));
    setSubTitle(tr("Which field of the files holds each part of a record."));
    m_shapeLabel = new QLabel(this);
    m_shapeLabel->setObjectName(QStringLiteral("mappingShape"));
    m_form = new QFormLayout;
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("mappingMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_shapeLabel);
    layout->addLayout(m_form);
    layout->addWidget(m_message);
    layout->addStretch();
}

bool ImportMappingPage::formatHasFields(data::FileFormat format)
{
    using data::FileFormat;
    return format == FileFormat::Jsonl || format == FileFormat::JsonArray ||
           format == FileFormat::Csv || format == FileFormat::Tsv;
}

std::vector<std::string> ImportMappingPage::canonicalFields(data::RecordShape shape)
{
    switch (shape) {
    case data::RecordShape::Auto:
    case data::RecordShape::Text:
        return {"text"};
    case data::RecordShape::Alpaca:
        return {"instruction", "input", "output"};
    case data::RecordShape::ShareGpt:
        return {"conversations"};
    case data::RecordShape::Messages:
        return {"messages"};
    case data::RecordShape::Preference:
        return {"prompt", "chosen", "rejected"};
    case data::RecordShape::HhRlhf:
        return {"chosen", "rejected"};
    }
    return {};
}

void ImportMappingPage::initializePage()
{
    const auto& detection = m_format->detection();
    const auto shape = m_format->readOptions().shape == data::RecordShape::Auto
                           ? detection.shape
                           : m_format->readOptions().shape;
    if (shape == m_shape && detection.fields == m_fields && !m_rows.empty()) return;
    m_shape = shape;
    m_fields = detection.fields;
    rebuild();
}

void ImportMappingPage::rebuild()
{
    while (m_form->rowCount() > 0)
        m_form->removeRow(0);
    m_rows.clear();
    QStringList found;
    for (const auto& field : m_fields)
        found << QString::fromStdString(field);
    m_shapeLabel->setText(tr("Record shape: <b>%1</b>. Fields found in the first rows: %2.")
                              .arg(QString::fromUtf8(data::recordShapeName(m_shape)),
                                   found.isEmpty() ? tr("none") : found.join(QLatin1String(", "))));
    for (const auto& canonical : canonicalFields(m_shape)) {
        Row row{canonical, /*optional=*/canonical == "input", new QComboBox(this),
                new QLabel(this)};
        row.sample->setObjectName(
            QStringLiteral("sample_%1").arg(QString::fromStdString(canonical)));
        row.sample->setStyleSheet(QStringLiteral("color: #555555"));
        row.sample->setMinimumWidth(200);
        row.combo->setMinimumContentsLength(16);
        row.combo->setObjectName(QStringLiteral("map_%1").arg(QString::fromStdString(canonical)));
        if (row.optional) row.combo->addItem(kAbsent);
        row.combo->addItems(found);
        const QString same = QString::fromStdString(canonical);
        if (found.contains(same))
            row.combo->setCurrentText(same);
        else if (!row.optional)
            row.combo->setCurrentIndex(-1); // nothing sensible: the user must choose
        connect(row.combo, &QComboBox::currentIndexChanged, this, &ImportMappingPage::refresh);
        auto* line = new QHBoxLayout;
        line->addWidget(row.combo);
        line->addWidget(row.sample, /*stretch=*/1);
        m_form->addRow(same, line);
        m_rows.push_back(row);
    }
    refresh();
}

data::FieldMapping ImportMappingPage::mapping() const
{
    data::FieldMapping mapping;
    for (const auto& row : m_rows) {
        const std::string chosen = row.combo->currentText().toStdString();
        if (row.combo->currentIndex() < 0 || chosen == row.canonical) continue;
        if (row.optional && row.combo->currentText() == kAbsent) continue;
        mapping[row.canonical] = chosen;
    }
    return mapping;
}

QString ImportMappingPage::problem() const
{
    std::set<std::string> used;
    for (const auto& row : m_rows) {
        const QString label = QString::fromStdString(row.canonical);
        if (row.combo->currentIndex() < 0)
            return tr("Choose the field that holds \"%1\".").arg(label);
        if (row.optional && row.combo->currentText() == kAbsent) continue;
        const std::string chosen = row.combo->currentText().toStdString();
        if (std::find(m_fields.begin(), m_fields.end(), chosen) == m_fields.end())
            return tr("\"%1\" is mapped to \"%2\", which the files do not have.")
                .arg(label, QString::fromStdString(chosen));
        if (!used.insert(chosen).second)
            return tr("The field \"%1\" is mapped twice; each canonical field needs its own.")
                .arg(QString::fromStdString(chosen));
    }
    return {};
}

QString ImportMappingPage::sampleValue(const QString& field) const
{
    const auto& table = m_format->previewTable();
    const auto column = std::find(table.columns.begin(), table.columns.end(), field.toStdString());
    if (column == table.columns.end() || table.rows.empty()) return {};
    const auto& cell = table.rows.front()[size_t(column - table.columns.begin())];
    return QString::fromStdString(cell).simplified();
}

void ImportMappingPage::refresh()
{
    for (const auto& row : m_rows) {
        const QString value = sampleValue(row.combo->currentText());
        row.sample->setToolTip(value);
        row.sample->setText(value.isEmpty() ? QString()
                                            : row.sample->fontMetrics().elidedText(
                                                  tr("e.g. %1").arg(value), Qt::ElideRight, 420));
    }
    const QString text = problem();
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
    Q_EMIT completeChanged();
}

bool ImportMappingPage::isComplete() const
{
    return problem().isEmpty();
}

} // namespace rlhf::widgets
