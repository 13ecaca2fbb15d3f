#include "widgets/importwizard/cleaningstepeditor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <exception>
#include <vector>

namespace rlhf::widgets {

namespace {

constexpr int kMaxBound = 100'000'000; // the largest length bound the spin boxes take

const std::vector<std::pair<std::string, const char*>> kPiiTypes = {
    {"email", "E-mail addresses → <EMAIL>"},
    {"phone", "Phone numbers → <PHONE>"},
    {"ip", "IP addresses → <IP>"},
    {"card", "Card numbers → <CARD>"},
};

QSpinBox* boundBox(QWidget* parent, const char* name)
{
    auto* box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(0, kMaxBound);
    box->setSpecialValueText(QObject::tr("no bound"));
    box->setGroupSeparatorShown(true);
    return box;
}

QStringList split(const QString& text, const QString& separators)
{
    QStringList parts;
    for (const QString& part : text.split(QRegularExpression(separators), Qt::SkipEmptyParts))
        if (!part.trimmed().isEmpty()) parts << part.trimmed();
    return parts;
}

std::vector<std::string> toStd(const QStringList& list)
{
    std::vector<std::string> out;
    for (const QString& item : list)
        out.push_back(item.toStdString());
    return out;
}

QStringList fromStd(const std::vector<std::string>& list)
{
    QStringList out;
    for (const auto& item : list)
        out << QString::fromStdString(item);
    return out;
}

} // namespace

QString CleaningStepEditor::title(data::StepKind kind)
{
    using data::StepKind;
    switch (kind) {
    case StepKind::Utf8:
        return tr("UTF-8 validation");
    case StepKind::Nfkc:
        return tr("Unicode NFKC");
    case StepKind::Control:
        return tr("Control and zero-width characters");
    case StepKind::Whitespace:
        return tr("Whitespace normalisation");
    case StepKind::Html:
        return tr("HTML and markup stripping");
    case StepKind::Length:
        return tr("Length bounds");
    case StepKind::Language:
        return tr("Language filter");
    case StepKind::Pii:
        return tr("PII scrubbing");
    case StepKind::Blocklist:
        return tr("Blocklist");
    case StepKind::ExactDedup:
        return tr("Exact deduplication");
    case StepKind::NearDedup:
        return tr("Near-duplicate removal");
    }
    return {};
}

QString CleaningStepEditor::title(const std::string& stepName)
{
    try {
        return title(data::parseStepKind(stepName));
    } catch (const std::exception&) {
        return QString::fromStdString(stepName);
    }
}

QString CleaningStepEditor::describe(data::StepKind kind)
{
    using data::StepKind;
    switch (kind) {
    case StepKind::Utf8:
        return tr("Invalid UTF-8: repair each bad byte sequence, or reject the record.");
    case StepKind::Nfkc:
        return tr(
            "Unicode NFKC normalisation: compatibility forms folded (ﬁ → fi, full-width → ASCII).");
    case StepKind::Control:
        return tr("Removes control characters (except newline and tab) and zero-width characters.");
    case StepKind::Whitespace:
        return tr("Trims lines, collapses runs of spaces and tabs, keeps at most one blank line, "
                  "CRLF → LF.");
    case StepKind::Html:
        return tr(
            "Strips HTML tags, comments and script/style bodies; decodes character entities.");
    case StepKind::Length:
        return tr(
            "Removes records shorter or longer than the bounds, in characters and in tokens.");
    case StepKind::Language:
        return tr("Keeps only records in the given languages (CLD2).");
    case StepKind::Pii:
        return tr("Replaces personal data with typed placeholders.");
    case StepKind::Blocklist:
        return tr("Removes records containing any of these words or phrases (case-insensitive).");
    case StepKind::ExactDedup:
        return tr(
            "Removes exact duplicates of the normalised text (case, width and spacing ignored).");
    case StepKind::NearDedup:
        return tr("Removes near-duplicates: MinHash over word shingles with LSH, at a Jaccard "
                  "threshold.");
    }
    return {};
}

CleaningStepEditor::CleaningStepEditor(QWidget* parent) : QWidget(parent)
{
    m_stack = new QStackedWidget(this);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);

    using data::StepKind;
    auto* utf8 = new QWidget(this);
    m_utf8Mode = new QComboBox(utf8);
    m_utf8Mode->setObjectName(QStringLiteral("utf8Mode"));
    m_utf8Mode->addItem(tr("repair (bad bytes → U+FFFD)"), true);
    m_utf8Mode->addItem(tr("reject the record"), false);
    (new QFormLayout(utf8))->addRow(tr("Invalid UTF-8"), m_utf8Mode);
    connect(m_utf8Mode, &QComboBox::currentIndexChanged, this, &CleaningStepEditor::emitEdited);

    m_blocklist = new QPlainTextEdit(this);
    m_blocklist->setObjectName(QStringLiteral("blocklist"));
    m_blocklist->setPlaceholderText(tr("one word or phrase per line"));
    connect(m_blocklist, &QPlainTextEdit::textChanged, this, &CleaningStepEditor::emitEdited);

    for (auto kind : {StepKind::Utf8, StepKind::Nfkc, StepKind::Control, StepKind::Whitespace,
                      StepKind::Html, StepKind::Length, StepKind::Language, StepKind::Pii,
                      StepKind::Blocklist, StepKind::ExactDedup, StepKind::NearDedup}) {
        QWidget* settings = kind == StepKind::Utf8        ? utf8
                            : kind == StepKind::Length    ? lengthSettings()
                            : kind == StepKind::Language  ? languageSettings()
                            : kind == StepKind::Pii       ? piiSettings()
                            : kind == StepKind::Blocklist ? m_blocklist
                            : kind == StepKind::NearDedup ? nearDedupSettings()
                                                          : nullptr;
        m_pages[kind] = m_stack->addWidget(panel(kind, settings));
    }
}

QWidget* CleaningStepEditor::panel(data::StepKind kind, QWidget* settings)
{
    auto* page = new QWidget(this);
    auto* heading = new QLabel(QStringLiteral("<b>%1</b>").arg(title(kind)), page);
    auto* description = new QLabel(describe(kind), page);
    description->setWordWrap(true);
    auto* layout = new QVBoxLayout(page);
    layout->addWidget(heading);
    layout->addWidget(description);
    if (settings) layout->addWidget(settings, /*stretch=*/kind == data::StepKind::Blocklist);
    if (kind != data::StepKind::Blocklist) layout->addStretch();
    return page;
}

QWidget* CleaningStepEditor::lengthSettings()
{
    auto* settings = new QWidget(this);
    m_minChars = boundBox(settings, "minChars");
    m_maxChars = boundBox(settings, "maxChars");
    m_minTokens = boundBox(settings, "minTokens");
    m_maxTokens = boundBox(settings, "maxTokens");
    m_tokenizer = new QComboBox(settings);
    m_tokenizer->setObjectName(QStringLiteral("lengthTokenizer"));
    m_tokenizer->addItem(tr("(none: no token bounds)"), QString());
    auto* form = new QFormLayout(settings);
    form->addRow(tr("Minimum characters"), m_minChars);
    form->addRow(tr("Maximum characters"), m_maxChars);
    form->addRow(tr("Tokenizer"), m_tokenizer);
    form->addRow(tr("Minimum tokens"), m_minTokens);
    form->addRow(tr("Maximum tokens"), m_maxTokens);
    for (QSpinBox* box : {m_minChars, m_maxChars, m_minTokens, m_maxTokens})
        connect(box, &QSpinBox::valueChanged, this, &CleaningStepEditor::emitEdited);
    auto enableTokens = [this] {
        const bool any = !tokenizer().isEmpty();
        m_minTokens->setEnabled(any);
        m_maxTokens->setEnabled(any);
    };
    connect(m_tokenizer, &QComboBox::currentIndexChanged, this, [this, enableTokens] {
        enableTokens();
        if (tokenizer().isEmpty()) {
            const QSignalBlocker a(m_minTokens), b(m_maxTokens);
            m_minTokens->setValue(0);
            m_maxTokens->setValue(0);
            m_config.minTokens = m_config.maxTokens = 0;
        }
        Q_EMIT tokenizerChanged();
        emitEdited();
    });
    enableTokens();
    return settings;
}

QWidget* CleaningStepEditor::languageSettings()
{
    auto* settings = new QWidget(this);
    m_languages = new QLineEdit(settings);
    m_languages->setObjectName(QStringLiteral("languages"));
    m_languages->setPlaceholderText(tr("ISO 639-1 codes, e.g. en, de"));
    m_confidence = new QDoubleSpinBox(settings);
    m_confidence->setObjectName(QStringLiteral("languageConfidence"));
    m_confidence->setRange(0.0, 1.0);
    m_confidence->setSingleStep(0.05);
    m_keepUnknown = new QCheckBox(tr("Keep text whose language cannot be identified"), settings);
    m_keepUnknown->setObjectName(QStringLiteral("keepUnknownLanguage"));
    auto* form = new QFormLayout(settings);
    form->addRow(tr("Languages to keep"), m_languages);
    form->addRow(tr("Minimum confidence"), m_confidence);
    form->addRow(m_keepUnknown);
    connect(m_languages, &QLineEdit::textEdited, this, &CleaningStepEditor::emitEdited);
    connect(m_confidence, &QDoubleSpinBox::valueChanged, this, &CleaningStepEditor::emitEdited);
    connect(m_keepUnknown, &QCheckBox::toggled, this, &CleaningStepEditor::emitEdited);
    return settings;
}

QWidget* CleaningStepEditor::piiSettings()
{
    auto* settings = new QWidget(this);
    auto* layout = new QVBoxLayout(settings);
    for (const auto& [type, label] : kPiiTypes) {
        auto* box = new QCheckBox(tr(label), settings);
        box->setObjectName(QStringLiteral("pii_%1").arg(QString::fromStdString(type)));
        m_piiTypes[type] = box;
        layout->addWidget(box);
        connect(box, &QCheckBox::toggled, this, &CleaningStepEditor::emitEdited);
    }
    return settings;
}

QWidget* CleaningStepEditor::nearDedupSettings()
{
    auto* settings = new QWidget(this);
    m_threshold = new QDoubleSpinBox(settings);
    m_threshold->setObjectName(QStringLiteral("jaccardThreshold"));
    m_threshold->setRange(0.1, 1.0);
    m_threshold->setSingleStep(0.05);
    m_shingleWords = new QSpinBox(settings);
    m_shingleWords->setObjectName(QStringLiteral("shingleWords"));
    m_shingleWords->setRange(1, 32);
    m_permutations = new QSpinBox(settings);
    m_permutations->setObjectName(QStringLiteral("permutations"));
    m_permutations->setRange(16, 1024);
    m_permutations->setSingleStep(16);
    auto* form = new QFormLayout(settings);
    form->addRow(tr("Jaccard threshold"), m_threshold);
    form->addRow(tr("Words per shingle"), m_shingleWords);
    form->addRow(tr("MinHash permutations"), m_permutations);
    connect(m_threshold, &QDoubleSpinBox::valueChanged, this, &CleaningStepEditor::emitEdited);
    connect(m_shingleWords, &QSpinBox::valueChanged, this, &CleaningStepEditor::emitEdited);
    connect(m_permutations, &QSpinBox::valueChanged, this, &CleaningStepEditor::emitEdited);
    return settings;
}

void CleaningStepEditor::setConfig(const data::StepConfig& config)
{
    m_config = config;
    const QList<QWidget*> editors = findChildren<QWidget*>();
    std::vector<QSignalBlocker> blockers; // settings shown, not edited: no edited()
    blockers.reserve(size_t(editors.size()));
    for (QWidget* editor : editors)
        if (editor != m_tokenizer) blockers.emplace_back(editor);
    m_utf8Mode->setCurrentIndex(config.repairUtf8 ? 0 : 1);
    m_minChars->setValue(int(std::min<int64_t>(config.minChars, kMaxBound)));
    m_maxChars->setValue(int(std::min<int64_t>(config.maxChars, kMaxBound)));
    m_minTokens->setValue(int(std::min<int64_t>(config.minTokens, kMaxBound)));
    m_maxTokens->setValue(int(std::min<int64_t>(config.maxTokens, kMaxBound)));
    m_languages->setText(fromStd(config.languages).join(QLatin1String(", ")));
    m_confidence->setValue(config.minLanguageConfidence);
    m_keepUnknown->setChecked(config.keepUnknownLanguage);
    for (const auto& [type, box] : m_piiTypes)
        box->setChecked(std::count(config.piiTypes.begin(), config.piiTypes.end(), type) > 0);
    m_blocklist->setPlainText(fromStd(config.blocklist).join(QLatin1Char('\n')));
    m_threshold->setValue(config.jaccardThreshold);
    m_shingleWords->setValue(config.shingleWords);
    m_permutations->setValue(config.permutations);
    m_stack->setCurrentIndex(m_pages.at(config.kind));
}

void CleaningStepEditor::setTokenizers(const QStringList& names)
{
    for (const QString& name : names)
        m_tokenizer->addItem(name, name);
}

QString CleaningStepEditor::tokenizer() const
{
    return m_tokenizer->currentData().toString();
}

data::StepConfig CleaningStepEditor::read() const
{
    data::StepConfig config = m_config;
    using data::StepKind;
    switch (config.kind) {
    case StepKind::Utf8:
        config.repairUtf8 = m_utf8Mode->currentData().toBool();
        break;
    case StepKind::Length:
        config.minChars = m_minChars->value();
        config.maxChars = m_maxChars->value();
        config.minTokens = m_minTokens->value();
        config.maxTokens = m_maxTokens->value();
        break;
    case StepKind::Language:
        config.languages = toStd(split(m_languages->text(), QStringLiteral("[,;\\s]+")));
        config.minLanguageConfidence = m_confidence->value();
        config.keepUnknownLanguage = m_keepUnknown->isChecked();
        break;
    case StepKind::Pii:
        config.piiTypes.clear();
        for (const auto& [type, label] : kPiiTypes)
            if (m_piiTypes.at(type)->isChecked()) config.piiTypes.push_back(type);
        break;
    case StepKind::Blocklist:
        config.blocklist = toStd(split(m_blocklist->toPlainText(), QStringLiteral("\n")));
        break;
    case StepKind::NearDedup:
        config.jaccardThreshold = m_threshold->value();
        config.shingleWords = m_shingleWords->value();
        config.permutations = m_permutations->value();
        break;
    default:
        break;
    }
    return config;
}

void CleaningStepEditor::emitEdited()
{
    m_config = read();
    Q_EMIT edited(m_config);
}

} // namespace rlhf::widgets
