// Chat with one checkpoint, and thumbs up / down on its replies (see singlechatpane.h).
#include "widgets/chat/singlechatpane.h"

#include "core/eval/feedback_pairs.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "widgets/chat/chatside.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSignalBlocker>
#include <QToolButton>
#include <QVBoxLayout>

#include <span>

namespace rlhf::widgets {

namespace {

QToolButton* ratingButton(QWidget* parent, const char* name, const QString& text,
                          const QString& tip)
{
    auto* button = new QToolButton(parent);
    button->setObjectName(QLatin1String(name));
    button->setText(text);
    button->setToolTip(tip);
    button->setCheckable(true);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    return button;
}

} // namespace

SingleChatPane::SingleChatPane(const QString& project, QWidget* parent)
    : QWidget(parent), m_project(project)
{
    const store::ProjectPaths paths(project.toStdString());
    m_database = std::make_unique<store::Database>(paths.database(), store::OpenMode::ExistingOnly);

    m_chooser = new QComboBox(this);
    m_chooser->setObjectName("chooser");
    m_chooser->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_chooser->setMinimumContentsLength(18);
    m_improve = new QPushButton(tr("Improve from feedback…"), this);
    m_improve->setObjectName("improveFromFeedback");
    m_improve->setToolTip(tr("Turn the rated replies and the arena's votes into preference "
                             "pairs, refresh the reward model on them, then DPO from this "
                             "checkpoint: two runs, compared with their parent in the arena"));
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Checkpoint:"), this));
    top->addWidget(m_chooser);
    top->addStretch(1);
    top->addWidget(m_improve);

    m_side = new ChatSide(tr("Chat"), this);
    m_side->setObjectName("side");
    m_side->setRatable(true);

    m_good = ratingButton(this, "rateGood", tr("▲ Good"),
                          tr("The last reply is good (Ctrl+Up; again to take it back)"));
    m_bad = ratingButton(this, "rateBad", tr("▼ Bad"),
                         tr("The last reply is bad (Ctrl+Down; again to take it back)"));
    m_feedback = new QLabel(this);
    m_feedback->setObjectName("feedbackLine");
    m_feedback->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* rating = new QHBoxLayout;
    rating->addWidget(new QLabel(tr("Last reply:"), this));
    rating->addWidget(m_good);
    rating->addWidget(m_bad);
    rating->addSpacing(12);
    rating->addWidget(m_feedback, 1);

    m_prompt = new QLineEdit(this);
    m_prompt->setObjectName("prompt");
    m_prompt->setPlaceholderText(tr("Message the model… (Enter sends)"));
    m_prompt->setClearButtonEnabled(true);
    m_send = new QPushButton(tr("Send"), this);
    m_send->setObjectName("send");
    m_regenerate = new QPushButton(tr("Regenerate"), this);
    m_regenerate->setObjectName("regenerate");
    m_regenerate->setToolTip(tr("Ask again for the last reply; a rated reply stays stored, so "
                                "rating the new one gives a pair"));
    m_clear = new QPushButton(tr("Clear"), this);
    m_clear->setObjectName("clear");
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(m_prompt, 1);
    bottom->addWidget(m_send);
    bottom->addWidget(m_regenerate);
    bottom->addWidget(m_clear);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_side, 1);
    layout->addLayout(rating);
    layout->addLayout(bottom);

    connect(m_chooser, &QComboBox::currentIndexChanged, this, &SingleChatPane::chooserChanged);
    connect(m_prompt, &QLineEdit::returnPressed, this, &SingleChatPane::send);
    connect(m_prompt, &QLineEdit::textChanged, this, &SingleChatPane::updateButtons);
    connect(m_send, &QPushButton::clicked, this, &SingleChatPane::send);
    connect(m_regenerate, &QPushButton::clicked, m_side, &ChatSide::regenerate);
    connect(m_clear, &QPushButton::clicked, this, [this] {
        m_side->clear();
        updateButtons();
    });
    connect(m_side, &ChatSide::busyChanged, this, &SingleChatPane::updateButtons);
    connect(m_side, &ChatSide::rateRequested, this, &SingleChatPane::rate);
    connect(m_side, &ChatSide::turnsDropped, this, &SingleChatPane::forgetTurnsFrom);
    // The buttons show the last reply's rating; a click toggles it (rate() decides).
    connect(m_good, &QToolButton::clicked, this, [this] { rateLastReply(store::Rating::Up); });
    connect(m_bad, &QToolButton::clicked, this, [this] { rateLastReply(store::Rating::Down); });
    for (const auto& [key, rating] :
         {std::pair(Qt::Key_Up, store::Rating::Up), std::pair(Qt::Key_Down, store::Rating::Down)}) {
        auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | key), this);
        shortcut->setContext(Qt::WidgetWithChildrenShortcut);
        connect(shortcut, &QShortcut::activated, this, [this, rating] { rateLastReply(rating); });
    }
    connect(m_improve, &QPushButton::clicked, this,
            [this] { Q_EMIT improveRequested(m_chooser->currentData().toString()); });
    refreshCheckpoints();
    refreshFeedbackCount();
}

SingleChatPane::~SingleChatPane() = default;

void SingleChatPane::refreshCheckpoints()
{
    m_choices = checkpointChoices(*m_database);
    const QString before = m_chooser->currentData().toString();
    fillCheckpointCombo(*m_chooser, m_choices, defaultCheckpoint(m_choices));
    if (m_chooser->currentData().toString() != before || m_side->checkpoint().isEmpty())
        chooserChanged();
    updateButtons();
}

bool SingleChatPane::choose(const QString& checkpoint)
{
    const int index = m_chooser->findData(checkpoint);
    if (index < 0 || checkpoint.isEmpty()) return false;
    m_chooser->setCurrentIndex(index); // chooserChanged() when it is another one
    return true;
}

void SingleChatPane::chooserChanged()
{
    const QString path = m_chooser->currentData().toString();
    const store::ProjectPaths paths(m_project.toStdString());
    m_side->setCheckpoint(
        path.isEmpty() ? QString()
                       : QString::fromStdString(paths.absolute(path.toStdString()).string()));
    m_side->setTitle(path.isEmpty() ? tr("Chat") : checkpointLabel(m_choices, path));
    m_side->clear(); // another model: its answers would not follow from this conversation
    updateButtons();
}

bool SingleChatPane::send()
{
    if (!m_side->send(m_prompt->text())) return false;
    m_prompt->clear();
    return true;
}

bool SingleChatPane::rate(int turn, store::Rating rating)
{
    const std::vector<data::Message>& conversation = m_side->conversation();
    if (m_side->busy() || turn <= 0 || size_t(turn) >= conversation.size() ||
        conversation[size_t(turn)].role != "assistant" ||
        conversation[size_t(turn) - 1].role != "user")
        return false;
    const auto stored = m_rows.find(turn);
    const std::optional<store::Rating> shown = m_side->rating(turn);
    try {
        if (stored != m_rows.end() && shown == rating) { // the same again: take it back
            m_database->removeFeedback(stored->second);
            Q_EMIT rated(stored->second);
            m_rows.erase(stored);
            m_side->setRating(turn, std::nullopt);
        } else if (stored != m_rows.end()) {
            m_database->setFeedbackRating(stored->second, rating);
            m_side->setRating(turn, rating);
            Q_EMIT rated(stored->second);
        } else {
            store::Feedback row;
            row.promptJson = eval::messagesJson(std::span(conversation).first(size_t(turn)));
            row.reply = conversation[size_t(turn)].content;
            row.checkpoint = m_chooser->currentData().toString().toStdString();
            row.settings = gen::toJson(m_side->settings()).dump();
            row.rating = rating;
            row.rater = m_rater.toStdString();
            const store::Id id = m_database->addFeedback(row); // committed before it shows
            m_rows[turn] = id;
            m_side->setRating(turn, rating);
            Q_EMIT rated(id);
        }
    } catch (const std::exception& error) {
        m_feedback->setText(
            tr("The rating was not saved: %1").arg(QString::fromUtf8(error.what())));
        return false;
    }
    refreshFeedbackCount();
    updateButtons();
    return true;
}

bool SingleChatPane::rateLastReply(store::Rating rating)
{
    const bool done = rate(m_side->lastReplyTurn(), rating);
    updateButtons(); // a refused click must not leave its button checked
    return done;
}

std::optional<store::Id> SingleChatPane::feedbackRow(int turn) const
{
    const auto found = m_rows.find(turn);
    return found == m_rows.end() ? std::nullopt : std::optional(found->second);
}

void SingleChatPane::forgetTurnsFrom(int turn)
{
    m_rows.erase(m_rows.lower_bound(turn), m_rows.end()); // the rows stay in the project
    updateButtons();
}

void SingleChatPane::refreshFeedbackCount()
{
    try {
        int64_t liked = 0, disliked = 0;
        for (const store::Feedback& row : m_database->feedback())
            ++(row.rating == store::Rating::Up ? liked : disliked);
        m_feedback->setText(
            liked + disliked == 0
                ? tr("Rate replies to teach the model: regenerate a reply and rate both to "
                     "make a pair.")
                : tr("Rated in this project: %1 good, %2 bad.").arg(liked).arg(disliked));
    } catch (const std::exception& error) {
        m_feedback->setText(
            tr("The ratings could not be read: %1").arg(QString::fromUtf8(error.what())));
    }
}

void SingleChatPane::updateButtons()
{
    const bool ready = !m_side->checkpoint().isEmpty() && !m_side->busy();
    m_send->setEnabled(ready && !m_prompt->text().trimmed().isEmpty());
    m_regenerate->setEnabled(ready && !m_side->conversation().empty());
    m_clear->setEnabled(!m_side->conversation().empty() || m_side->busy());
    const int last = m_side->lastReplyTurn();
    const std::optional<store::Rating> rating =
        last >= 0 ? m_side->rating(last) : std::optional<store::Rating>();
    m_good->setEnabled(last >= 0);
    m_bad->setEnabled(last >= 0);
    m_good->setChecked(rating == store::Rating::Up);
    m_bad->setChecked(rating == store::Rating::Down);
    m_improve->setEnabled(!m_choices.empty());
}

} // namespace rlhf::widgets
