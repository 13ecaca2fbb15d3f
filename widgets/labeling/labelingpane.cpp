// The labeling pane: layout, keyboard, and the commit-then-advance rule.
#include "widgets/labeling/labelingpane.h"

#include "core/eval/label_pairs.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "core/util/error.h"
#include "widgets/labeling/agreementpanel.h"
#include "widgets/labeling/labelqueuebar.h"

#include <nlohmann/json.hpp>

#include <QFileDialog>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QtGlobal>

#include <fstream>
#include <random>

namespace rlhf::widgets {

namespace {

constexpr ScreenChoice allChoices[] = {ScreenChoice::Left, ScreenChoice::Right, ScreenChoice::Tie,
                                       ScreenChoice::BothBad};

// The prompt dialogue as HTML: each turn's role in bold, its text escaped.
QString promptHtml(const std::string& promptJson)
{
    QString html;
    const auto turns = nlohmann::json::parse(promptJson, nullptr, false);
    if (!turns.is_array()) return QString::fromStdString(promptJson).toHtmlEscaped();
    for (const auto& turn : turns) {
        const auto role = QString::fromStdString(turn.value("role", std::string("?")));
        const auto text = QString::fromStdString(turn.value("content", std::string()));
        html += QString("<p><b>%1</b><br>%2</p>")
                    .arg(role.toHtmlEscaped(), text.toHtmlEscaped().replace('\n', "<br>"));
    }
    return html;
}

QTextBrowser* responseView()
{
    auto* view = new QTextBrowser;
    view->setFocusPolicy(Qt::NoFocus); // arrows move between items, not the text cursor
    view->setOpenLinks(false);
    return view;
}

QWidget* titled(const QString& title, QWidget* body)
{
    auto* box = new QGroupBox(title);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(body);
    return box;
}

} // namespace

LabelingPane::LabelingPane(QWidget* parent) : QWidget(parent)
{
    setFocusPolicy(Qt::StrongFocus);
    m_annotator = new QLineEdit(qEnvironmentVariable("USER", "annotator"));
    m_annotator->setMaximumWidth(180);
    m_queueBar = new LabelQueueBar;
    m_prompt = responseView();
    m_prompt->setMaximumHeight(150);
    m_left = responseView();
    m_right = responseView();

    const char* names[] = {"&1  Left is better", "&2  Right is better", "&3  Tie", "&4  Both bad"};
    auto* choices = new QHBoxLayout;
    for (int i = 0; i < 4; ++i) {
        m_choices[i] = new QPushButton(QString(names[i]).remove('&'));
        m_choices[i]->setCheckable(true);
        m_choices[i]->setFocusPolicy(Qt::NoFocus);
        choices->addWidget(m_choices[i]);
        connect(m_choices[i], &QPushButton::clicked, this, [this, i] { choose(allChoices[i]); });
    }
    m_comment = new QLineEdit;
    m_comment->setPlaceholderText("Comment (optional); Enter commits");
    m_submit = new QPushButton("Commit ⏎");
    auto* skipButton = new QPushButton("Skip");
    auto* backButton = new QPushButton("◀ Back");
    auto* forwardButton = new QPushButton("Forward ▶");
    auto* undoButton = new QPushButton("Undo (Ctrl+Z)");
    auto* actions = new QHBoxLayout;
    actions->addWidget(m_comment, 1);
    for (auto* button : {m_submit, skipButton, backButton, forwardButton, undoButton}) {
        button->setFocusPolicy(Qt::NoFocus);
        actions->addWidget(button);
    }
    m_progress = new QProgressBar;
    m_progressText = new QLabel;
    m_status = new QLabel;
    auto* progress = new QHBoxLayout;
    progress->addWidget(m_progressText);
    progress->addWidget(m_progress, 1);
    progress->addWidget(m_status, 1);

    auto* responses = new QSplitter;
    responses->addWidget(titled("Left  ·  1", m_left));
    responses->addWidget(titled("Right  ·  2", m_right));
    auto* judge = new QWidget;
    auto* judgeLayout = new QVBoxLayout(judge);
    judgeLayout->setContentsMargins(0, 0, 0, 0);
    judgeLayout->addWidget(titled("Prompt", m_prompt));
    judgeLayout->addWidget(responses, 1);
    judgeLayout->addLayout(choices);
    judgeLayout->addLayout(actions);
    judgeLayout->addLayout(progress);

    m_agreement = new AgreementPanel;
    auto* exportButton = new QPushButton("Export preference JSONL…");
    exportButton->setFocusPolicy(Qt::NoFocus);
    auto* side = new QWidget;
    side->setMinimumWidth(300);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(titled("Agreement", m_agreement), 1);
    sideLayout->addWidget(exportButton);

    auto* body = new QSplitter;
    body->addWidget(judge);
    body->addWidget(side);
    body->setStretchFactor(0, 3);
    body->setStretchFactor(1, 1);
    body->setSizes({1000, 330});

    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel("Annotator"));
    top->addWidget(m_annotator);
    top->addWidget(m_queueBar, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(body, 1);

    connect(m_annotator, &QLineEdit::editingFinished, this,
            [this] { setAnnotator(m_annotator->text()); });
    connect(m_comment, &QLineEdit::returnPressed, this, &LabelingPane::submit);
    connect(m_submit, &QPushButton::clicked, this, &LabelingPane::submit);
    connect(skipButton, &QPushButton::clicked, this, &LabelingPane::skip);
    connect(backButton, &QPushButton::clicked, this, &LabelingPane::back);
    connect(forwardButton, &QPushButton::clicked, this, &LabelingPane::forward);
    connect(undoButton, &QPushButton::clicked, this, &LabelingPane::undo);
    connect(exportButton, &QPushButton::clicked, this, &LabelingPane::exportDialog);
    connect(m_queueBar, &LabelQueueBar::queueGrew, this, &LabelingPane::reloadQueue);
    auto* undoKey = new QShortcut(QKeySequence::Undo, this);
    undoKey->setContext(Qt::WidgetWithChildrenShortcut);
    connect(undoKey, &QShortcut::activated, this, &LabelingPane::undo);
    showCurrent();
}

LabelingPane::~LabelingPane() = default;

void LabelingPane::setProject(const QString& project)
{
    m_session.reset();
    m_database.reset();
    m_project = project;
    m_queueBar->setProject(project);
    if (!project.isEmpty()) {
        m_database = std::make_unique<store::Database>(
            store::ProjectPaths(project.toStdString()).database(), store::OpenMode::ExistingOnly);
    }
    setAnnotator(m_annotator->text());
}

void LabelingPane::setAnnotator(const QString& name)
{
    if (m_annotator->text() != name) m_annotator->setText(name);
    m_session.reset();
    if (m_database && !name.trimmed().isEmpty()) {
        m_session = std::make_unique<LabelSession>(*m_database, name.trimmed().toStdString(),
                                                   std::random_device{}());
    }
    showCurrent();
}

QString LabelingPane::annotator() const
{
    return m_session ? QString::fromStdString(m_session->annotator()) : QString();
}

QPushButton* LabelingPane::choiceButton(ScreenChoice choice) const
{
    return m_choices[int(choice)];
}

void LabelingPane::choose(ScreenChoice choice)
{
    m_choice = choice;
    for (int i = 0; i < 4; ++i)
        m_choices[i]->setChecked(i == int(choice));
}

void LabelingPane::submit()
{
    if (!m_session || !m_session->current()) return;
    if (!m_choice) {
        setStatus("Choose first: 1 left, 2 right, 3 tie, 4 both bad");
        return;
    }
    try {
        const auto label = m_session->submit(*m_choice, m_comment->text().toStdString());
        setStatus(QString("Saved item %1").arg(label.item));
        m_comment->clear();
        showCurrent();
        Q_EMIT labelCommitted(
            label.item, QString::fromStdString(std::string(store::judgmentName(label.judgment))));
    } catch (const std::exception& error) {
        setStatus(QString("Not saved: %1").arg(error.what())); // the item stays on screen
    }
}

void LabelingPane::skip()
{
    if (!m_session) return;
    m_session->skip();
    showCurrent();
}

void LabelingPane::back()
{
    if (m_session && m_session->back()) showCurrent();
}

void LabelingPane::forward()
{
    if (m_session && m_session->forward()) showCurrent();
}

void LabelingPane::undo()
{
    if (!m_session) return;
    if (const auto item = m_session->undo()) {
        setStatus(QString("Removed the label of item %1").arg(*item));
        showCurrent();
        Q_EMIT labelUndone(*item);
    } else {
        setStatus("Nothing to undo in this session");
    }
}

void LabelingPane::reloadQueue()
{
    if (!m_session) return;
    const bool wasDone = m_session->current() == nullptr;
    m_session->reload();
    if (wasDone) showCurrent();
    showProgress();
}

void LabelingPane::refreshSources()
{
    m_queueBar->setProject(m_project);
}

qint64 LabelingPane::exportLabels(const QString& file)
{
    if (!m_database) return 0;
    std::ofstream out(file.toStdString(), std::ios::binary);
    if (!out) throw Error(file.toStdString() + ": cannot be written");
    const auto written =
        eval::writePreferenceJsonl(out, eval::labelledPairs(*m_database, eval::LabelFilter{}));
    out.close();
    if (!out) throw Error(file.toStdString() + ": write failed");
    return written;
}

void LabelingPane::exportDialog()
{
    const auto file = QFileDialog::getSaveFileName(
        this, "Export labels", m_project + "/labels.jsonl", "Preference JSONL (*.jsonl)");
    if (file.isEmpty()) return;
    try {
        setStatus(QString("Exported %1 pairs to %2").arg(exportLabels(file)).arg(file));
    } catch (const std::exception& error) {
        setStatus(QString("Export failed: %1").arg(error.what()));
    }
}

void LabelingPane::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_1:
        choose(ScreenChoice::Left);
        break;
    case Qt::Key_2:
        choose(ScreenChoice::Right);
        break;
    case Qt::Key_3:
        choose(ScreenChoice::Tie);
        break;
    case Qt::Key_4:
        choose(ScreenChoice::BothBad);
        break;
    case Qt::Key_Return:
    case Qt::Key_Enter:
        submit();
        break;
    case Qt::Key_Left:
        back();
        break;
    case Qt::Key_Right:
        forward();
        break;
    default:
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
}

void LabelingPane::showCurrent()
{
    const auto* item = m_session ? m_session->current() : nullptr;
    m_choice.reset();
    for (auto* button : m_choices) {
        button->setChecked(false);
        button->setEnabled(item != nullptr);
    }
    m_submit->setEnabled(item != nullptr);
    if (!item) {
        m_prompt->setHtml(m_session ? "<i>The queue is done. Fill it from the bar above.</i>"
                                    : "<i>Open a project and name the annotator.</i>");
        m_left->clear();
        m_right->clear();
    } else {
        const bool swapped = m_session->swapped();
        m_prompt->setHtml(promptHtml(item->promptJson));
        m_left->setPlainText(QString::fromStdString(swapped ? item->responseB : item->responseA));
        m_right->setPlainText(QString::fromStdString(swapped ? item->responseA : item->responseB));
        if (const auto label = m_session->currentLabel()) { // revisiting: show the stored label
            choose(screenChoiceOf(label->judgment, label->swapped));
            m_comment->setText(QString::fromStdString(label->comment));
        }
    }
    showProgress();
}

void LabelingPane::showProgress()
{
    if (!m_session) {
        m_progressText->clear();
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
        return;
    }
    const auto labelled = m_session->labelled();
    const auto remaining = m_session->remaining();
    m_progressText->setText(QString("%1 labelled · %2 remaining").arg(labelled).arg(remaining));
    m_progress->setRange(0, int(std::max<int64_t>(1, labelled + remaining)));
    m_progress->setValue(int(labelled));
    if (m_database) m_agreement->refresh(*m_database);
}

void LabelingPane::setStatus(const QString& text)
{
    m_status->setText(text);
}

} // namespace rlhf::widgets
