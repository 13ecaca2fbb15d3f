// One side of a chat (see chatside.h).
#include "widgets/chat/chatside.h"

#include "widgets/chat/chatsettingseditor.h"
#include "widgets/chat/chatworker.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QScrollBar>
#include <QTextBrowser>
#include <QThread>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

constexpr int kRenderDelayMs = 30; // streamed pieces are drawn at most this often

// One turn as a coloured block; the text escaped, its line breaks kept; `footer` (HTML) under it.
QString turnHtml(const QString& who, const QString& text, const char* background,
                 bool streaming = false, const QString& footer = {})
{
    QString body = text.toHtmlEscaped().replace(QLatin1Char('\n'), QLatin1String("<br>"));
    if (streaming) body += QStringLiteral("<span style=\"color:#888\">▍</span>");
    if (!footer.isEmpty()) body += QStringLiteral("<br>") + footer;
    return QStringLiteral("<table width=\"100%\" cellpadding=\"6\" cellspacing=\"0\" "
                          "style=\"margin-bottom:6px\" bgcolor=\"%1\"><tr><td>"
                          "<span style=\"color:#555; font-size:small\"><b>%2</b></span><br>"
                          "<span style=\"color:#111\">%3</span></td></tr></table>")
        .arg(QLatin1String(background), who.toHtmlEscaped(), body);
}

// The links under a ratable reply: "▲ Good  ▼ Bad", the given rating highlighted. A link is
// "rate:up:<turn>" or "rate:down:<turn>".
QString ratingLinks(int turn, std::optional<store::Rating> rating)
{
    const auto link = [&](store::Rating which, const QString& text, const char* colour) {
        const bool chosen = rating == which;
        const QString style =
            chosen ? QStringLiteral("color:white; background-color:%1; font-weight:bold")
                         .arg(QLatin1String(colour))
                   : QStringLiteral("color:%1").arg(QLatin1String(colour));
        return QStringLiteral("<a href=\"rate:%1:%2\" style=\"text-decoration:none; %3\">"
                              "&nbsp;%4&nbsp;</a>")
            .arg(QString::fromUtf8(store::ratingName(which)))
            .arg(turn)
            .arg(style, text);
    };
    return QStringLiteral("<span style=\"font-size:small\">%1&nbsp;&nbsp;%2</span>")
        .arg(link(store::Rating::Up, ChatSide::tr("▲ Good"), "#2e7d32"),
             link(store::Rating::Down, ChatSide::tr("▼ Bad"), "#c62828"));
}

} // namespace

ChatSide::ChatSide(const QString& title, QWidget* parent) : QWidget(parent)
{
    m_title = new QLabel(this);
    m_title->setObjectName("chatSideTitle");
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    setTitle(title);

    m_settingsButton = new QToolButton(this);
    m_settingsButton->setObjectName("settingsToggle");
    m_settingsButton->setText(tr("Settings"));
    m_settingsButton->setCheckable(true);
    m_settingsButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_settingsButton->setArrowType(Qt::RightArrow);
    m_settingsButton->setAutoRaise(true);

    m_transcript = new QTextBrowser(this);
    m_transcript->setObjectName("transcript");
    m_transcript->setOpenLinks(false);
    m_transcript->setPlaceholderText(tr("The conversation appears here."));
    connect(m_transcript, &QTextBrowser::anchorClicked, this, &ChatSide::onAnchor);

    m_settings = new ChatSettingsEditor(this);
    m_settings->setVisible(false);
    connect(m_settingsButton, &QToolButton::toggled, this, [this](bool open) {
        m_settings->setVisible(open);
        m_settingsButton->setArrowType(open ? Qt::DownArrow : Qt::RightArrow);
    });

    m_status = new QLabel(this);
    m_status->setObjectName("chatStatus");
    m_status->setStyleSheet(QStringLiteral("color: palette(mid)"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* header = new QHBoxLayout;
    header->addWidget(m_title, 1);
    header->addWidget(m_settingsButton);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(header);
    layout->addWidget(m_settings);
    layout->addWidget(m_transcript, 1);
    layout->addWidget(m_status);

    m_renderSoon.setSingleShot(true);
    m_renderSoon.setInterval(kRenderDelayMs);
    connect(&m_renderSoon, &QTimer::timeout, this, &ChatSide::render);
    render();
}

ChatSide::~ChatSide()
{
    stopWorker(true);
}

void ChatSide::setTitle(const QString& title)
{
    m_title->setText(title);
}

QString ChatSide::title() const
{
    return m_title->text();
}

void ChatSide::stopWorker(bool wait)
{
    if (!m_thread) return;
    m_worker->cancel(m_request); // stops a reply at its next token
    disconnect(m_worker, nullptr, this, nullptr);
    QThread* thread = m_thread;
    m_thread = nullptr;
    m_worker = nullptr; // deleted on its thread when the thread finishes
    if (wait) {         // the destructor: the thread must not outlive the side
        thread->quit();
        thread->wait();
        delete thread;
        return;
    }
    // A side switched to another checkpoint does not wait (a checkpoint being read cannot
    // stop): the old thread ends, and deletes itself, on its own.
    thread->setParent(nullptr);
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->quit();
    if (m_running) {
        m_running = 0;
        m_partial.clear();
        render();
        Q_EMIT busyChanged(false);
    }
}

void ChatSide::setCheckpoint(const QString& folder)
{
    if (folder == m_checkpoint && m_thread) return;
    stopWorker(false);
    m_checkpoint = folder;
    if (folder.isEmpty()) return;
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("chat: ") + folder);
    m_worker = new ChatWorker(folder);
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &ChatWorker::loading, this, [this](qint64 request) {
        if (request == m_running) m_status->setText(tr("Loading the checkpoint…"));
    });
    connect(m_worker, &ChatWorker::piece, this, &ChatSide::onPiece);
    connect(m_worker, &ChatWorker::finished, this, &ChatSide::onFinished);
    connect(m_worker, &ChatWorker::failed, this, &ChatSide::onFailed);
    m_thread->start();
    render();
}

bool ChatSide::send(const QString& userText)
{
    if (busy() || !m_worker || userText.trimmed().isEmpty()) return false;
    m_conversation.push_back({"user", userText.toStdString()});
    ask();
    return true;
}

bool ChatSide::regenerate()
{
    if (busy() || !m_worker || m_conversation.empty()) return false;
    const size_t last = m_conversation.size() - 1;
    const bool replaces = m_conversation.back().role == "assistant";
    if (replaces && (last == 0 || m_conversation[last - 1].role != "user")) return false;
    if (!replaces && m_conversation.back().role != "user") return false;
    if (replaces) {
        m_conversation.pop_back();
        dropTurnsFrom(last);
    }
    ask();
    return true;
}

void ChatSide::clear()
{
    if (busy()) m_worker->cancel(m_request);
    const bool wasBusy = busy();
    m_running = 0;
    const bool hadTurns = !m_conversation.empty();
    m_conversation.clear();
    m_partial.clear();
    m_status->clear();
    if (hadTurns) dropTurnsFrom(0);
    render();
    if (wasBusy) Q_EMIT busyChanged(false);
}

void ChatSide::setRatable(bool ratable)
{
    m_ratable = ratable;
    render();
}

void ChatSide::setRating(int turn, std::optional<store::Rating> rating)
{
    if (rating)
        m_ratings[turn] = *rating;
    else
        m_ratings.erase(turn);
    render();
}

std::optional<store::Rating> ChatSide::rating(int turn) const
{
    const auto found = m_ratings.find(turn);
    return found == m_ratings.end() ? std::nullopt : std::optional(found->second);
}

int ChatSide::lastReplyTurn() const
{
    return replied() ? int(m_conversation.size()) - 1 : -1;
}

void ChatSide::dropTurnsFrom(size_t turn)
{
    m_ratings.erase(m_ratings.lower_bound(int(turn)), m_ratings.end());
    Q_EMIT turnsDropped(int(turn));
}

void ChatSide::onAnchor(const QUrl& link)
{
    // "rate:up:3": the scheme, then the rating and the turn.
    const QStringList parts = link.toString().split(QLatin1Char(':'));
    if (parts.size() != 3 || parts[0] != QLatin1String("rate")) return;
    bool number = false;
    const int turn = parts[2].toInt(&number);
    if (!number || turn < 0 || size_t(turn) >= m_conversation.size() ||
        m_conversation[size_t(turn)].role != "assistant")
        return;
    Q_EMIT rateRequested(turn,
                         parts[1] == QLatin1String("up") ? store::Rating::Up : store::Rating::Down);
}

bool ChatSide::replied() const
{
    return !busy() && !m_conversation.empty() && m_conversation.back().role == "assistant";
}

gen::SamplingSettings ChatSide::settings() const
{
    return m_settings->settings();
}

void ChatSide::setSettings(const gen::SamplingSettings& settings)
{
    m_settings->setSettings(settings);
}

void ChatSide::ask()
{
    m_running = ++m_request;
    m_partial.clear();
    m_status->setText(tr("Generating…"));
    ChatWorker* worker = m_worker;
    const qint64 request = m_request;
    const std::vector<data::Message> dialogue = m_conversation;
    const gen::SamplingSettings settings = m_settings->settings();
    QMetaObject::invokeMethod(
        worker, [=] { worker->generate(request, dialogue, settings); }, Qt::QueuedConnection);
    render();
    Q_EMIT busyChanged(true);
}

void ChatSide::onPiece(qint64 request, const QString& text)
{
    if (request != m_running) return; // a stopped or replaced request's tail
    ++m_pieces;
    m_partial += text;
    if (!m_renderSoon.isActive()) m_renderSoon.start();
    Q_EMIT pieceReceived(text);
}

void ChatSide::onFinished(qint64 request, const QString& reply, double msToFirst, double perSecond)
{
    if (request != m_running) return;
    m_running = 0;
    m_partial.clear();
    m_conversation.push_back({"assistant", reply.toStdString()});
    if (perSecond > 0)
        m_status->setText(
            tr("first token %1 ms · %2 tok/s").arg(qRound(msToFirst)).arg(qRound(perSecond)));
    else
        m_status->setText(tr("reply in %1 ms").arg(qRound(msToFirst)));
    render();
    Q_EMIT busyChanged(false);
    Q_EMIT replyFinished(reply);
}

void ChatSide::onFailed(qint64 request, const QString& message)
{
    if (request != m_running) return;
    m_running = 0;
    m_partial.clear();
    m_status->setText(tr("Failed: %1").arg(message));
    render();
    Q_EMIT busyChanged(false);
    Q_EMIT replyFailed(message);
}

void ChatSide::render()
{
    m_renderSoon.stop();
    QString html;
    for (size_t turn = 0; turn < m_conversation.size(); ++turn) {
        const data::Message& message = m_conversation[turn];
        const QString text = QString::fromStdString(message.content);
        if (message.role == "user")
            html += turnHtml(tr("You"), text, "#dbe9fb");
        else if (message.role == "assistant")
            html += turnHtml(tr("Assistant"), text, "#f0f0f0", false,
                             m_ratable ? ratingLinks(int(turn), rating(int(turn))) : QString());
        else
            html += turnHtml(tr("System"), text, "#fff4d6");
    }
    if (busy()) html += turnHtml(tr("Assistant"), m_partial, "#f0f0f0", true);
    m_transcript->setHtml(html);
    QScrollBar* bar = m_transcript->verticalScrollBar();
    bar->setValue(bar->maximum());
}

QString ChatSide::transcriptText() const
{
    return m_transcript->toPlainText();
}

} // namespace rlhf::widgets
