#include "widgets/importwizard/importcleaningpage.h"

#include "core/store/project.h"
#include "core/text/tokenizer.h"
#include "core/text/tokenizer_json.h"
#include "core/util/error.h"
#include "widgets/importwizard/cleaningstepeditor.h"
#include "widgets/importwizard/importwizard.h"
#include "widgets/window/latestjob.h"

#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include <exception>
#include <optional>

namespace rlhf::widgets {

namespace {

constexpr int kDebounceMs = 300;        // settle time after a change before the preview reruns
constexpr int kKindRole = Qt::UserRole; // list item data: the step's data::StepKind
constexpr int kExampleChars = 240;      // characters of a removed record shown as its example

const std::vector<data::StepKind> kAllSteps = {
    data::StepKind::Utf8,       data::StepKind::Nfkc,     data::StepKind::Control,
    data::StepKind::Whitespace, data::StepKind::Html,     data::StepKind::Length,
    data::StepKind::Language,   data::StepKind::Pii,      data::StepKind::Blocklist,
    data::StepKind::ExactDedup, data::StepKind::NearDedup};

bool needsTokenizer(const data::CleaningConfig& config)
{
    for (const auto& step : config.steps)
        if (step.kind == data::StepKind::Length && (step.minTokens > 0 || step.maxTokens > 0))
            return true;
    return false;
}

CleaningPreviewResult computeCleaningPreview(const data::ImportRecipe& recipe,
                                             const std::string& projectPath)
{
    CleaningPreviewResult result;
    if (!recipe.files.empty())
        result.file = QString::fromStdString(recipe.files.front().filename().string());
    try {
        std::optional<text::Tokenizer> tokenizer;
        if (!recipe.tokenizer.empty() && needsTokenizer(recipe.cleaning)) {
            auto project = store::Project::open(projectPath);
            const auto entry = project.database().tokenizer(recipe.tokenizer);
            if (!entry) throw Error("the project has no tokenizer '" + recipe.tokenizer + "'");
            tokenizer = text::loadTokenizerJson(project.paths().absolute(entry->path));
        }
        result.preview = data::previewCleaning(recipe, ImportCleaningPage::kSampleRecords,
                                               tokenizer ? &*tokenizer : nullptr);
    } catch (const std::exception& error) {
        result.error = QString::fromUtf8(error.what());
    }
    return result;
}

QString location(const data::SourceLocation& source)
{
    return QStringLiteral("%1:%2")
        .arg(QFileInfo(QString::fromStdString(source.file)).fileName())
        .arg(source.line);
}

QString snippet(const std::string& text)
{
    QString value = QString::fromUtf8(text).simplified();
    if (value.size() > kExampleChars) value = value.left(kExampleChars) + QChar(0x2026);
    return value.toHtmlEscaped();
}

QTableWidget* countsTable(QWidget* parent)
{
    auto* table = new QTableWidget(0, 4, parent);
    table->setObjectName(QStringLiteral("stepCounts"));
    table->setHorizontalHeaderLabels({QObject::tr("Step"), QObject::tr("Examined"),
                                      QObject::tr("Changed"), QObject::tr("Removed")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    return table;
}

// ", duplicate of record 7" unless the reason already names the record.
QString duplicateNote(const data::Verdict& verdict)
{
    if (!verdict.duplicateOf ||
        verdict.reason.find(std::to_string(*verdict.duplicateOf)) != std::string::npos)
        return {};
    return QObject::tr(", duplicate of record %1").arg(*verdict.duplicateOf);
}

} // namespace

ImportCleaningPage::ImportCleaningPage(const ImportWizard* wizard, const QString& projectPath,
                                       QWidget* parent)
    : QWizardPage(parent), m_wizard(wizard), m_projectPath(projectPath),
      m_job(std::make_unique<LatestJob<CleaningPreviewResult>>(
          this, [this](const CleaningPreviewResult& result) { showPreview(result); }))
{
    setTitle(tr("Cleaning"));
    setSubTitle(tr("Tick the steps to run, drag them into order, and watch what they do to the "
                   "first %1 records.")
                    .arg(QLocale().toString(qulonglong(kSampleRecords))));

    buildStepList();

    m_editor = new CleaningStepEditor(this);
    m_editor->setObjectName(QStringLiteral("stepEditor"));
    try {
        auto project = store::Project::open(projectPath.toStdString());
        QStringList names;
        for (const auto& tokenizer : project.database().tokenizers())
            names << QString::fromStdString(tokenizer.name);
        m_editor->setTokenizers(names);
    } catch (const std::exception&) {
        // The files page already says the project cannot be read; no tokenizers then.
    }

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("cleaningStatus"));
    m_status->setWordWrap(true);
    m_counts = countsTable(this);
    m_examples = new QTextBrowser(this);
    m_examples->setObjectName(QStringLiteral("removedExamples"));

    auto* top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(m_steps);
    top->addWidget(m_editor);
    top->setStretchFactor(1, 1);
    top->setSizes({260, 520});
    auto* bottom = new QSplitter(Qt::Horizontal, this);
    bottom->addWidget(m_counts);
    bottom->addWidget(m_examples);
    bottom->setSizes({380, 400});
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(top, /*stretch=*/1);
    layout->addWidget(m_status);
    layout->addWidget(bottom, /*stretch=*/1);

    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(kDebounceMs);
    connect(m_debounce, &QTimer::timeout, this, &ImportCleaningPage::runPreview);
    connect(m_steps, &QListWidget::itemChanged, this, &ImportCleaningPage::schedulePreview);
    connect(m_steps->model(), &QAbstractItemModel::rowsMoved, this,
            &ImportCleaningPage::schedulePreview);
    connect(m_steps, &QListWidget::currentRowChanged, this, &ImportCleaningPage::showSelectedStep);
    connect(m_editor, &CleaningStepEditor::edited, this, [this](const data::StepConfig& config) {
        m_configs[config.kind] = config;
        schedulePreview();
    });
    connect(m_editor, &CleaningStepEditor::tokenizerChanged, this,
            &ImportCleaningPage::schedulePreview);
    m_steps->setCurrentRow(0);
}

ImportCleaningPage::~ImportCleaningPage() = default;

// Every step, the default pipeline's ticked and in its order, the others unticked below it.
void ImportCleaningPage::buildStepList()
{
    for (auto kind : kAllSteps)
        m_configs[kind].kind = kind;
    const auto defaults = data::CleaningConfig::defaults();
    for (const auto& step : defaults.steps)
        m_configs[step.kind] = step;

    m_steps = new QListWidget(this);
    m_steps->setObjectName(QStringLiteral("cleaningSteps"));
    m_steps->setDragDropMode(QAbstractItemView::InternalMove);
    m_steps->setDefaultDropAction(Qt::MoveAction);
    auto addItem = [this](data::StepKind kind, bool checked) {
        auto* item = new QListWidgetItem(CleaningStepEditor::title(kind), m_steps);
        item->setData(kKindRole, int(kind));
        item->setToolTip(CleaningStepEditor::describe(kind));
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable | Qt::ItemIsDragEnabled);
        item->setFlags(item->flags() & ~Qt::ItemIsDropEnabled);
        item->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
    };
    for (const auto& step : defaults.steps)
        addItem(step.kind, /*checked=*/true);
    for (auto kind : kAllSteps)
        if (std::none_of(defaults.steps.begin(), defaults.steps.end(),
                         [kind](const data::StepConfig& step) { return step.kind == kind; }))
            addItem(kind, /*checked=*/false);
}

data::CleaningConfig ImportCleaningPage::config() const
{
    data::CleaningConfig config;
    for (int row = 0; row < m_steps->count(); ++row) {
        const QListWidgetItem* item = m_steps->item(row);
        if (item->checkState() == Qt::Checked)
            config.steps.push_back(m_configs.at(data::StepKind(item->data(kKindRole).toInt())));
    }
    return config;
}

QString ImportCleaningPage::tokenizer() const
{
    return m_editor->tokenizer();
}

bool ImportCleaningPage::previewBusy() const
{
    return m_debounce->isActive() || m_job->busy();
}

void ImportCleaningPage::initializePage()
{
    runPreview(); // the files, format or mapping may have changed since the last visit
}

void ImportCleaningPage::showSelectedStep()
{
    const QListWidgetItem* item = m_steps->currentItem();
    if (item) m_editor->setConfig(m_configs.at(data::StepKind(item->data(kKindRole).toInt())));
}

void ImportCleaningPage::schedulePreview()
{
    m_status->setText(tr("Updating the counts…"));
    m_debounce->start();
}

void ImportCleaningPage::runPreview()
{
    m_debounce->stop();
    m_status->setText(tr("Updating the counts…"));
    const data::ImportRecipe recipe = m_wizard->recipe();
    const std::string projectPath = m_projectPath.toStdString();
    m_job->request([recipe, projectPath] { return computeCleaningPreview(recipe, projectPath); });
}

void ImportCleaningPage::showPreview(const CleaningPreviewResult& result)
{
    ++m_previewsShown;
    m_error = result.error;
    Q_EMIT completeChanged();
    if (!result.error.isEmpty()) {
        m_status->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                              .arg(result.error.toHtmlEscaped()));
        m_counts->setRowCount(0);
        m_examples->clear();
        Q_EMIT previewShown();
        return;
    }
    const auto& preview = result.preview;
    m_status->setText(tr("Sample: %1 records read from %2; %3 could not be read.")
                          .arg(QLocale().toString(qint64(preview.records)), result.file,
                               preview.readProblems == 1 ? tr("1 row")
                                                         : tr("%1 rows").arg(QLocale().toString(
                                                               qint64(preview.readProblems)))));
    m_counts->setRowCount(int(preview.steps.size()));
    for (int row = 0; row < int(preview.steps.size()); ++row) {
        const auto& step = preview.steps[size_t(row)];
        const QStringList cells = {
            CleaningStepEditor::title(step.step), QLocale().toString(qint64(step.examined)),
            QLocale().toString(qint64(step.changed)), QLocale().toString(qint64(step.removed))};
        for (int column = 0; column < cells.size(); ++column) {
            auto* item = new QTableWidgetItem(cells[column]);
            if (column > 0) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_counts->setItem(row, column, item);
        }
    }
    QString html;
    for (const auto& [record, verdict] : preview.removed) {
        html += QStringLiteral("<p><b>%1</b> %2 <span style='color:#666666'>%3%4</span><br>"
                               "<span style='color:#444444'>%5</span></p>")
                    .arg(QString::fromStdString(verdict.step).toHtmlEscaped(),
                         QString::fromStdString(verdict.reason).toHtmlEscaped(),
                         location(record.source), duplicateNote(verdict),
                         snippet(data::joinedText(record)));
    }
    for (const auto& problem : preview.problems) {
        html += QStringLiteral("<p><b>read</b> %1%2 <span style='color:#666666'>%3</span></p>")
                    .arg(problem.field.empty() ? QString()
                                               : QStringLiteral("%1: ")
                                                     .arg(QString::fromStdString(problem.field))
                                                     .toHtmlEscaped(),
                         QString::fromStdString(problem.reason).toHtmlEscaped(),
                         location(problem.source));
    }
    m_examples->setHtml(html.isEmpty() ? tr("<p><i>Nothing removed in the sample.</i></p>")
                                       : tr("<p><b>Removed in the sample</b></p>") + html);
    Q_EMIT previewShown();
}

bool ImportCleaningPage::isComplete() const
{
    return m_error.isEmpty();
}

} // namespace rlhf::widgets
