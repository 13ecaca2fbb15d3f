// The ranks of a multi-process run, one row each (rank, host, pid, step, seconds per step, last
// heard, state: last, as a failure's reason needs the room), from the ProcessRunner's rankStatus
// signals. A rank still running that has not been heard for kSilentSeconds shows "silent for N s"
// in a warning colour (it prints at least once a second, so it is stopped, frozen or gone); a
// failed rank is red with its reason.
#pragma once

#include "widgets/window/processrunner.h"

#include <QTableWidget>
#include <QTimer>

#include <map>

namespace rlhf::widgets {

class RankStatusPanel : public QTableWidget {
    Q_OBJECT
public:
    enum Column { Rank, Host, Pid, Step, SecondsPerStep, LastHeard, State, ColumnCount };
    static constexpr int kSilentSeconds = 3; // a rank's heartbeat is one line a second

    explicit RankStatusPanel(QWidget* parent = nullptr);

    QSize sizeHint() const override; // wide enough for a usual row without scrolling

    void clearRanks(); // no rows: a new run begins
    void setStatus(const rlhf::widgets::RankStatus& status);
    void refresh(); // every row again: "last heard" moves on with the clock

private:
    void showRow(int row, const RankStatus& status);

    std::map<int, RankStatus> m_ranks; // by rank, in the order of the rows
    QTimer m_clock;                    // refreshes once a second while a rank runs
};

} // namespace rlhf::widgets
