#include "widgets/importwizard/importrunpage.h"

#include "core/store/project.h"
#include "widgets/importwizard/cleaningstepeditor.h"
#include "widgets/importwizard/importwizard.h"

#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

namespace rlhf::widgets {

namespace {

constexpr int kProgressSteps = 1000;           // progress bar resolution
constexpr double kMinimumSecondsForRate = 0.1; // a shorter import's MB/s says nothing

ImportOutcome runImport(const data::ImportRecipe& recipe, const std::string& projectPath,
                        const data::ImportProgressFn& progress)
{
    ImportOutcome outcome;
    try {
        auto project = store::Project::open(projectPath);
        outcome.report = data::importDataset(project, recipe, progress);
    } catch (const std::exception& error) {
        outcome.error = QString::fromUtf8(error.what());
    }
    return outcome;
}

QString number(int64_t value)
{
    return QLocale().toString(qint64(value));
}

QString reportHtml(const data::ImportReport& report)
{
    QString html =
        QObject::tr("<p><b>%1 documents imported</b> (train %2, validation %3, test %4) from %5 "
                    "records read; <b>%6 quarantined</b>: %7 removed by cleaning, ")
            .arg(number(report.imported), number(report.train), number(report.val),
                 number(report.test), number(report.records), number(report.quarantined),
                 number(report.quarantined - report.readProblems)) +
        (report.readProblems == 1 ? QObject::tr("1 row the readers could not use.</p>")
                                  : QObject::tr("%1 rows the readers could not use.</p>")
                                        .arg(number(report.readProblems)));
    if (report.cancelled)
        html += QObject::tr("<p style='color:#b00020'>Cancelled: the batches stored before the "
                            "cancel stay in the dataset.</p>");
    html += QStringLiteral("<table cellpadding='3'><tr><th align='left'>%1</th><th>%2</th>"
                           "<th>%3</th><th>%4</th></tr>")
                .arg(QObject::tr("Step"), QObject::tr("Examined"), QObject::tr("Changed"),
                     QObject::tr("Removed"));
    for (const auto& step : report.steps)
        html += QStringLiteral("<tr><td>%1</td><td align='right'>%2</td><td align='right'>%3</td>"
                               "<td align='right'>%4</td></tr>")
                    .arg(CleaningStepEditor::title(step.step), number(step.examined),
                         number(step.changed), number(step.removed));
    html += QStringLiteral("</table>");
    if (!report.languages.empty()) {
        QStringList languages;
        for (const auto& [language, count] : report.languages)
            languages << QStringLiteral("%1 %2").arg(QString::fromStdString(language),
                                                     number(count));
        html += QObject::tr("<p>Languages: %1</p>").arg(languages.join(QLatin1String(", ")));
    }
    const QLocale locale;
    html += QObject::tr("<p>%1 read in %2 s")
                .arg(locale.formattedDataSize(qint64(report.bytes)),
                     locale.toString(report.seconds, 'f', 2));
    if (report.seconds >= kMinimumSecondsForRate)
        html += QObject::tr(" (%1/s)").arg(
            locale.formattedDataSize(qint64(double(report.bytes) / report.seconds)));
    html += QStringLiteral(".</p>");
    return html;
}

} // namespace

ImportRunPage::ImportRunPage(const ImportWizard* wizard, QWidget* parent)
    : QWizardPage(parent), m_wizard(wizard)
{
    setTitle(tr("Import"));
    setSubTitle(tr("Reading, cleaning and storing the documents. Cancel stops after the current "
                   "batch; what was stored stays."));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("importProgress"));
    m_progress->setRange(0, kProgressSteps);
    m_counts = new QLabel(this);
    m_counts->setObjectName(QStringLiteral("importCounts"));
    m_counts->setWordWrap(true);
    m_summary = new QTextBrowser(this);
    m_summary->setObjectName(QStringLiteral("importSummary"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_progress);
    layout->addWidget(m_counts);
    layout->addWidget(m_summary, /*stretch=*/1);
    connect(&m_watcher, &QFutureWatcherBase::finished, this,
            [this] { showOutcome(m_watcher.result()); });
}

ImportRunPage::~ImportRunPage()
{
    cancel();
    m_watcher.waitForFinished();
}

void ImportRunPage::cancel()
{
    if (m_cancel) m_cancel->store(true);
    if (m_running) m_counts->setText(tr("Cancelling after the current batch…"));
}

void ImportRunPage::initializePage()
{
    if (m_running || m_done) return;
    m_running = true;
    m_summary->clear();
    m_progress->setValue(0);
    m_counts->setText(tr("Starting…"));
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    const data::ImportRecipe recipe = m_wizard->recipe();
    const std::string projectPath = m_wizard->projectPath().toStdString();
    // The worker reports to this page through queued calls; the page waits for the worker in
    // its destructor, so `this` outlives every call the worker makes.
    auto progress = [this, cancelled = m_cancel](const data::ImportProgress& update) {
        QMetaObject::invokeMethod(
            this, [this, update] { showProgress(update); }, Qt::QueuedConnection);
        return !cancelled->load();
    };
    m_watcher.setFuture(QtConcurrent::run(
        [recipe, projectPath, progress] { return runImport(recipe, projectPath, progress); }));
}

void ImportRunPage::showProgress(const data::ImportProgress& progress)
{
    if (!m_running) return;
    if (progress.bytesTotal > 0)
        m_progress->setValue(
            int(double(progress.bytesDone) / double(progress.bytesTotal) * kProgressSteps));
    m_counts->setText(tr("%1: %2 records read, %3 imported, %4 quarantined")
                          .arg(QFileInfo(QString::fromStdString(progress.file)).fileName(),
                               number(progress.records), number(progress.imported),
                               number(progress.quarantined)));
}

void ImportRunPage::showOutcome(const ImportOutcome& outcome)
{
    m_outcome = outcome;
    m_running = false;
    m_done = true;
    if (outcome.error.isEmpty()) {
        m_progress->setValue(kProgressSteps);
        m_counts->setText(outcome.report.cancelled ? tr("Cancelled.") : tr("Done."));
        m_summary->setHtml(reportHtml(outcome.report));
    } else {
        m_counts->setText(
            QStringLiteral("<span style='color:#b00020'>%1</span>")
                .arg(tr("The import stopped: %1").arg(outcome.error.toHtmlEscaped())));
    }
    Q_EMIT completeChanged();
    Q_EMIT importFinished();
}

bool ImportRunPage::isComplete() const
{
    return m_done;
}

} // namespace rlhf::widgets
