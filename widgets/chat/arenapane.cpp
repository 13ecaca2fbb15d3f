// The chat arena (see arenapane.h).
#include "widgets/chat/arenapane.h"

#include "core/eval/label_queue.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "core/gen/sampling_settings.h"
#include "widgets/chat/chatside.h"
#include "widgets/chat/leaderboardview.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QVBoxLayout>

#include <exception>

namespace rlhf::widgets {

namespace {

// A conversation as the battle row stores it: compact JSON messages.
std::string conversationJson(const std::vector<data::Message>& conversation)
{
    nlohmann::json messages = nlohmann::json::array();
    for (const data::Message& message : conversation)
        messages.push_back({{"role", message.role}, {"content", message.content}});
    return messages.dump();
}

QComboBox* makeChooser(QWidget* parent, const char* name)
{
    auto* chooser = new QComboBox(parent);
    chooser->setObjectName(QLatin1String(name));
    chooser->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    chooser->setMinimumContentsLength(18);
    return chooser;
}

const char* const promptHint = QT_TRANSLATE_NOOP("ArenaPane", "Ask both models… (Enter sends)");
const char* const roundOverHint =
    QT_TRANSLATE_NOOP("ArenaPane", "Voted: start a New round to ask again");

} // namespace

ArenaPane::ArenaPane(const QString& project, QWidget* parent) : QWidget(parent), m_project(project)
{
    const store::ProjectPaths paths(project.toStdString());
    m_database = std::make_unique<store::Database>(paths.database(), store::OpenMode::ExistingOnly);

    // The pair: a chooser per side, or a random pair whose names stay hidden.
    m_chooserA = makeChooser(nullptr, "chooserA"); // reparented by the choosers' layout
    m_chooserB = makeChooser(nullptr, "chooserB");
    m_random = new QPushButton(tr("Random pair"), this);
    m_random->setObjectName("randomPair");
    m_random->setToolTip(tr("Draw two different checkpoints; their names stay hidden until you "
                            "vote"));
    m_hiddenNote =
        new QLabel(tr("Two checkpoints drawn at random: names hidden until you vote"), this);
    m_hiddenNote->setObjectName("hiddenNote");
    m_hiddenNote->setVisible(false);
    // The choosers with their labels, hidden as one while the names are.
    m_choosers = new QWidget(this);
    auto* choosers = new QHBoxLayout(m_choosers);
    choosers->setContentsMargins(0, 0, 0, 0);
    choosers->addWidget(new QLabel(tr("Model A:"), m_choosers));
    choosers->addWidget(m_chooserA);
    choosers->addSpacing(12);
    choosers->addWidget(new QLabel(tr("Model B:"), m_choosers));
    choosers->addWidget(m_chooserB);
    auto* pairRow = new QHBoxLayout;
    pairRow->addWidget(m_choosers);
    pairRow->addWidget(m_hiddenNote);
    pairRow->addStretch(1);
    pairRow->addWidget(m_random);

    // The two sides.
    m_sideA = new ChatSide(tr("Model A"), this);
    m_sideA->setObjectName("sideA");
    m_sideB = new ChatSide(tr("Model B"), this);
    m_sideB->setObjectName("sideB");
    auto* sides = new QSplitter(Qt::Horizontal, this);
    sides->addWidget(m_sideA);
    sides->addWidget(m_sideB);
    sides->setChildrenCollapsible(false);

    // One prompt for both, then the round's buttons and the votes.
    m_prompt = new QLineEdit(this);
    m_prompt->setObjectName("prompt");
    m_prompt->setPlaceholderText(tr(promptHint));
    m_prompt->setClearButtonEnabled(true);
    m_send = new QPushButton(tr("Send"), this);
    m_send->setObjectName("send");
    m_send->setDefault(true);
    m_regenerate = new QPushButton(tr("Regenerate"), this);
    m_regenerate->setObjectName("regenerate");
    m_newRound = new QPushButton(tr("New round"), this);
    m_newRound->setObjectName("newRound");
    m_newRound->setToolTip(tr("Forget both conversations and open the prompt and the votes "
                              "again; a blind round draws a new hidden pair"));
    auto* promptRow = new QHBoxLayout;
    promptRow->addWidget(m_prompt, 1);
    promptRow->addWidget(m_send);
    promptRow->addWidget(m_regenerate);
    promptRow->addWidget(m_newRound);

    const std::pair<store::Judgment, QString> votes[] = {
        {store::Judgment::A, tr("A is better")},
        {store::Judgment::B, tr("B is better")},
        {store::Judgment::Tie, tr("Tie")},
        {store::Judgment::BothBad, tr("Both are bad")},
    };
    auto* voteRow = new QHBoxLayout;
    voteRow->addStretch(1);
    for (const auto& [judgment, text] : votes) {
        auto* button = new QPushButton(text, this);
        button->setObjectName(QStringLiteral("vote_") +
                              QString::fromUtf8(store::judgmentName(judgment)));
        m_votes[int(judgment)] = button;
        voteRow->addWidget(button);
        connect(button, &QPushButton::clicked, this, [this, judgment] { vote(judgment); });
    }
    voteRow->addStretch(1);
    m_status = new QLabel(this);
    m_status->setObjectName("arenaStatus");
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* battle = new QWidget(this);
    auto* battleLayout = new QVBoxLayout(battle);
    battleLayout->setContentsMargins(0, 0, 0, 0);
    battleLayout->addLayout(pairRow);
    battleLayout->addWidget(sides, 1);
    battleLayout->addLayout(promptRow);
    battleLayout->addLayout(voteRow);
    battleLayout->addWidget(m_status);
    m_leaderboard = new LeaderboardView(this);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(battle);
    split->addWidget(m_leaderboard);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(split);

    connect(m_chooserA, &QComboBox::currentIndexChanged, this, &ArenaPane::chooserChanged);
    connect(m_chooserB, &QComboBox::currentIndexChanged, this, &ArenaPane::chooserChanged);
    connect(m_random, &QPushButton::clicked, this, &ArenaPane::drawRandomPair);
    connect(m_prompt, &QLineEdit::returnPressed, this, &ArenaPane::send);
    connect(m_send, &QPushButton::clicked, this, &ArenaPane::send);
    connect(m_regenerate, &QPushButton::clicked, this, &ArenaPane::regenerate);
    connect(m_newRound, &QPushButton::clicked, this, &ArenaPane::newRound);
    connect(m_prompt, &QLineEdit::textChanged, this, &ArenaPane::updateButtons);
    for (ChatSide* side : {m_sideA, m_sideB}) {
        connect(side, &ChatSide::busyChanged, this, &ArenaPane::updateButtons);
        connect(side, &ChatSide::replyFailed, this, [this](const QString& message) {
            m_status->setText(tr("A side failed: %1").arg(message));
        });
    }

    refreshCheckpoints();
    refreshLeaderboard();
}

ArenaPane::~ArenaPane() = default;

void ArenaPane::refreshCheckpoints()
{
    // With fewer than two checkpoints both sides had to show the same one; a user who chose
    // the same one twice (to compare settings) keeps it.
    const bool sameWasForced = m_choices.size() < 2;
    m_choices = checkpointChoices(*m_database);
    const QString a = pathOf(m_chooserA), b = pathOf(m_chooserB);
    // A fresh pane: the newest completed run against another model, so a first prompt is a
    // real battle.
    fillCheckpointCombo(*m_chooserA, m_choices, defaultCheckpoint(m_choices));
    const QString opponent = opponentCheckpoint(m_choices, pathOf(m_chooserA));
    fillCheckpointCombo(*m_chooserB, m_choices, opponent);
    if (sameWasForced && pathOf(m_chooserA) == pathOf(m_chooserB) && !opponent.isEmpty()) {
        const QSignalBlocker blocker(m_chooserB);
        m_chooserB->setCurrentIndex(m_chooserB->findData(opponent));
    }
    if (pathOf(m_chooserA) != a || pathOf(m_chooserB) != b) chooserChanged();
    updateButtons();
}

QString ArenaPane::pathOf(const QComboBox* chooser) const
{
    return chooser->currentData().toString();
}

void ArenaPane::chooserChanged()
{
    applyChoice(pathOf(m_chooserA), pathOf(m_chooserB), false);
}

bool ArenaPane::choose(const QString& modelA, const QString& modelB)
{
    const int a = m_chooserA->findData(modelA), b = m_chooserB->findData(modelB);
    if (a < 0 || b < 0 || modelA.isEmpty() || modelB.isEmpty()) return false;
    {
        const QSignalBlocker blockA(m_chooserA), blockB(m_chooserB);
        m_chooserA->setCurrentIndex(a);
        m_chooserB->setCurrentIndex(b);
    }
    applyChoice(modelA, modelB, false);
    return true;
}

bool ArenaPane::drawRandomPair()
{
    const auto count = m_choices.size();
    if (count < 2) {
        m_status->setText(
            tr("A random pair needs two checkpoints; the project has %1.").arg(count));
        return false;
    }
    std::uniform_int_distribution<size_t> first(0, count - 1), second(0, count - 2);
    const size_t a = first(m_rng);
    size_t b = second(m_rng);
    if (b >= a) ++b; // uniform over the others
    {
        const QSignalBlocker blockA(m_chooserA), blockB(m_chooserB);
        m_chooserA->setCurrentIndex(int(a));
        m_chooserB->setCurrentIndex(int(b));
    }
    applyChoice(m_choices[a].path, m_choices[b].path, true);
    return true;
}

bool ArenaPane::compareHidden(const QString& first, const QString& second)
{
    const bool swap = std::bernoulli_distribution(0.5)(m_rng);
    const QString a = swap ? second : first, b = swap ? first : second;
    const int indexA = m_chooserA->findData(a), indexB = m_chooserB->findData(b);
    if (indexA < 0 || indexB < 0 || first.isEmpty() || second.isEmpty()) return false;
    {
        const QSignalBlocker blockA(m_chooserA), blockB(m_chooserB);
        m_chooserA->setCurrentIndex(indexA);
        m_chooserB->setCurrentIndex(indexB);
    }
    applyChoice(a, b, true);
    m_pinnedFirst = first; // after applyChoice, which forgets any pinned pair
    m_pinnedSecond = second;
    m_hiddenNote->setText(tr("A checkpoint against the one it was trained from, on random "
                             "sides: names hidden until you vote"));
    return true;
}

void ArenaPane::applyChoice(const QString& modelA, const QString& modelB, bool hidden)
{
    m_pinnedFirst.clear();
    m_pinnedSecond.clear();
    m_hiddenNote->setText(tr("Two checkpoints drawn at random: names hidden until you vote"));
    const store::ProjectPaths paths(m_project.toStdString());
    const auto absolute = [&](const QString& path) {
        return path.isEmpty() ? QString()
                              : QString::fromStdString(paths.absolute(path.toStdString()).string());
    };
    m_sideA->setCheckpoint(absolute(modelA));
    m_sideB->setCheckpoint(absolute(modelB));
    m_blind = hidden;
    m_hidden = hidden;
    m_sideA->clear();
    m_sideB->clear();
    m_roundOver = false;
    showNames();
    m_status->clear();
    updateButtons();
}

void ArenaPane::showNames()
{
    m_choosers->setVisible(!m_hidden);
    m_hiddenNote->setVisible(m_hidden);
    if (m_hidden) {
        m_sideA->setTitle(tr("Model A"));
        m_sideB->setTitle(tr("Model B"));
        return;
    }
    m_sideA->setTitle(tr("Model A: %1").arg(checkpointLabel(m_choices, pathOf(m_chooserA))));
    m_sideB->setTitle(tr("Model B: %1").arg(checkpointLabel(m_choices, pathOf(m_chooserB))));
}

bool ArenaPane::send()
{
    const QString text = m_prompt->text();
    if (m_roundOver || text.trimmed().isEmpty() || m_sideA->busy() || m_sideB->busy() ||
        m_sideA->checkpoint().isEmpty() || m_sideB->checkpoint().isEmpty())
        return false;
    if (!m_sideA->send(text) || !m_sideB->send(text)) return false;
    m_prompt->clear();
    m_status->clear();
    updateButtons();
    return true;
}

bool ArenaPane::regenerate()
{
    if (m_roundOver || m_sideA->busy() || m_sideB->busy()) return false;
    if (!m_sideA->regenerate() || !m_sideB->regenerate()) return false;
    updateButtons();
    return true;
}

void ArenaPane::newRound()
{
    if (!m_pinnedFirst.isEmpty() && compareHidden(m_pinnedFirst, m_pinnedSecond)) return;
    if (m_blind && m_choices.size() >= 2) {
        drawRandomPair(); // a blind round stays blind
        return;
    }
    m_sideA->clear();
    m_sideB->clear();
    m_roundOver = false;
    m_status->clear();
    updateButtons();
}

bool ArenaPane::canVote() const
{
    return !m_roundOver && m_sideA->replied() && m_sideB->replied();
}

bool ArenaPane::vote(store::Judgment judgment)
{
    if (!canVote()) return false;
    store::Battle battle;
    battle.modelA = pathOf(m_chooserA).toStdString();
    battle.modelB = pathOf(m_chooserB).toStdString();
    battle.conversationA = conversationJson(m_sideA->conversation());
    battle.conversationB = conversationJson(m_sideB->conversation());
    battle.settingsA = gen::toJson(m_sideA->settings()).dump();
    battle.settingsB = gen::toJson(m_sideB->settings()).dump();
    battle.vote = judgment;
    battle.voter = m_voter.toStdString();
    try {
        // Stored (committed) first: the names are revealed only after the vote is safe.
        m_lastBattle = m_database->addBattle(battle);
    } catch (const std::exception& error) {
        m_status->setText(tr("The vote was not saved: %1").arg(QString::fromUtf8(error.what())));
        return false;
    }
    QString queueProblem;
    try {
        // The vote also becomes a comparison item with its label, for agreement and exports.
        eval::queueBattles(*m_database);
    } catch (const std::exception& error) {
        queueProblem =
            tr(" It could not be queued for labeling: %1").arg(QString::fromUtf8(error.what()));
    }
    m_roundOver = true; // the names are known now: a second vote would not be blind
    m_hidden = false;
    showNames();
    m_status->setText(tr("Battle #%1 saved. Model A was %2, model B was %3. Start a new round "
                         "to vote again.")
                          .arg(m_lastBattle)
                          .arg(checkpointLabel(m_choices, pathOf(m_chooserA)),
                               checkpointLabel(m_choices, pathOf(m_chooserB))) +
                      queueProblem);
    refreshLeaderboard();
    updateButtons();
    m_newRound->setFocus();
    Q_EMIT voted(m_lastBattle);
    return true;
}

QPushButton* ArenaPane::voteButton(store::Judgment vote) const
{
    return m_votes[int(vote)];
}

void ArenaPane::refreshLeaderboard()
{
    try {
        m_leaderboard->setBattles(m_database->battles(), m_choices);
    } catch (const std::exception& error) {
        m_status->setText(
            tr("The leaderboard could not be read: %1").arg(QString::fromUtf8(error.what())));
    }
}

void ArenaPane::updateButtons()
{
    const bool busy = m_sideA->busy() || m_sideB->busy();
    const bool ready =
        !m_roundOver && !m_sideA->checkpoint().isEmpty() && !m_sideB->checkpoint().isEmpty();
    m_prompt->setEnabled(!m_roundOver);
    m_prompt->setPlaceholderText(tr(m_roundOver ? roundOverHint : promptHint));
    m_send->setEnabled(ready && !busy && !m_prompt->text().trimmed().isEmpty());
    m_regenerate->setEnabled(ready && !busy && !m_sideA->conversation().empty() &&
                             !m_sideB->conversation().empty());
    m_random->setEnabled(m_choices.size() >= 2);
    const bool votable = canVote();
    for (QPushButton* button : m_votes)
        button->setEnabled(votable);
}

} // namespace rlhf::widgets
