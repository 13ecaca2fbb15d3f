// The ranks of a multi-process run (see rankstatuspanel.h).
#include "widgets/window/rankstatuspanel.h"

#include <QHeaderView>

#include <iterator>

namespace rlhf::widgets {

namespace {

const QColor kWarningColour(0xb3, 0x54, 0x00); // dark orange, as the health panel's warnings
const QColor kFailedColour(0xc6, 0x28, 0x28);  // red: readable on white and on grey
constexpr int kCellPadding = 18;               // a cell's margins and grid line around its text

QString stateText(const RankStatus& status)
{
    switch (status.state) {
    case RankStatus::State::Starting:
        return RankStatusPanel::tr("starting");
    case RankStatus::State::Joined:
        return RankStatusPanel::tr("joined");
    case RankStatus::State::Training:
        return RankStatusPanel::tr("training");
    case RankStatus::State::Saving:
        return RankStatusPanel::tr("saving a checkpoint");
    case RankStatus::State::Barrier:
        return RankStatusPanel::tr("waiting at barrier");
    case RankStatus::State::Completed:
        return RankStatusPanel::tr("completed");
    case RankStatus::State::Stopped:
        return RankStatusPanel::tr("stopped");
    case RankStatus::State::Failed:
        return status.message.isEmpty() ? RankStatusPanel::tr("failed")
                                        : RankStatusPanel::tr("failed: %1").arg(status.message);
    }
    return {};
}

QString stepText(const RankStatus& status)
{
    if (status.totalSteps > 0)
        return QStringLiteral("%1/%2").arg(status.step).arg(status.totalSteps);
    return status.step > 0 ? QString::number(status.step) : QStringLiteral("—");
}

QString secondsText(double seconds)
{
    if (seconds <= 0) return QStringLiteral("—");
    return QString::number(seconds, 'f', seconds < 1 ? 3 : seconds < 10 ? 2 : 1);
}

// Seconds since the rank was last heard, when it should have been heard since (it runs).
qint64 silentSeconds(const RankStatus& status, const QDateTime& now)
{
    if (status.ended() || !status.heard.isValid()) return 0;
    const qint64 seconds = status.heard.secsTo(now);
    return seconds >= RankStatusPanel::kSilentSeconds ? seconds : 0;
}

} // namespace

RankStatusPanel::RankStatusPanel(QWidget* parent) : QTableWidget(0, ColumnCount, parent)
{
    setObjectName("rankStatusPanel");
    setHorizontalHeaderLabels({tr("Rank"), tr("Host"), tr("PID"), tr("Step"), tr("s/step"),
                               tr("Last heard"), tr("State")});
    verticalHeader()->hide();
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setStretchLastSection(true); // the state, with a failure's reason
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionMode(QAbstractItemView::NoSelection);
    setWordWrap(false);
    setTextElideMode(Qt::ElideRight);
    m_clock.setInterval(1000);
    connect(&m_clock, &QTimer::timeout, this, &RankStatusPanel::refresh);
}

QSize RankStatusPanel::sizeHint() const
{
    // The widest usual text of each column (a failure's reason is elided, with a tooltip).
    QString widest[ColumnCount];
    widest[Rank] = tr("Rank");
    widest[Host] = "hostname-01";
    widest[Pid] = "4194304";
    widest[Step] = "100000/100000";
    widest[SecondsPerStep] = tr("s/step");
    widest[LastHeard] = tr("silent for 99 s");
    widest[State] = tr("waiting at barrier");
    int width = 2 * frameWidth();
    for (const QString& text : widest)
        width += fontMetrics().horizontalAdvance(text) + kCellPadding;
    return {width, QTableWidget::sizeHint().height()};
}

void RankStatusPanel::clearRanks()
{
    m_ranks.clear();
    setRowCount(0);
    m_clock.stop();
}

void RankStatusPanel::setStatus(const RankStatus& status)
{
    const auto [place, added] = m_ranks.insert_or_assign(status.rank, status);
    const int row = int(std::distance(m_ranks.begin(), place));
    if (added) insertRow(row);
    showRow(row, status);
    if (!status.ended() && !m_clock.isActive()) m_clock.start();
}

void RankStatusPanel::refresh()
{
    int row = 0;
    bool running = false;
    for (const auto& [rank, status] : m_ranks) {
        showRow(row++, status);
        running = running || !status.ended();
    }
    if (!running) m_clock.stop();
}

void RankStatusPanel::showRow(int row, const RankStatus& status)
{
    const qint64 silent = silentSeconds(status, QDateTime::currentDateTime());
    const QBrush colour = status.state == RankStatus::State::Failed ? QBrush(kFailedColour)
                          : silent > 0                              ? QBrush(kWarningColour)
                                                                    : QBrush();
    const QString heard = silent > 0               ? tr("silent for %1 s").arg(silent)
                          : status.heard.isValid() ? status.heard.toString("hh:mm:ss")
                                                   : QString();
    QString texts[ColumnCount];
    texts[Rank] = QString::number(status.rank);
    texts[Host] = status.host;
    texts[Pid] = QString::number(status.pid);
    texts[Step] = stepText(status);
    texts[SecondsPerStep] = secondsText(status.secondsPerStep);
    texts[LastHeard] = heard;
    texts[State] = stateText(status);
    for (int column = 0; column < ColumnCount; ++column) {
        QTableWidgetItem* cell = item(row, column);
        if (!cell) {
            cell = new QTableWidgetItem;
            const bool number =
                column == Rank || column == Pid || column == Step || column == SecondsPerStep;
            cell->setTextAlignment(Qt::AlignVCenter | (number ? Qt::AlignRight : Qt::AlignLeft));
            setItem(row, column, cell);
        }
        cell->setText(texts[column]);
        cell->setForeground(colour);
    }
    item(row, Rank)->setToolTip(tr("rank %1 of %2").arg(status.rank).arg(status.worldSize));
    item(row, State)->setToolTip(texts[State]); // a long reason is elided in the cell
}

} // namespace rlhf::widgets
