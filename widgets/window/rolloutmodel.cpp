// The rollouts of one step as a table (see rolloutmodel.h).
#include "widgets/window/rolloutmodel.h"

#include <algorithm>

#include <QStringList>

namespace rlhf::widgets {

namespace {

constexpr int kCellChars = 160;     // of a prompt or response shown in its cell
constexpr int kTooltipChars = 4000; // of a prompt or response shown in its tooltip
constexpr int kTokenKlPerLine = 8;  // per-token KL values on one tooltip line
constexpr int kTokenKlShown = 512;  // tokens listed before "…"

QString fromUtf8(const std::string& text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

// One line for a cell: line breaks shown as ⏎ so that rows keep one height.
QString cellText(const std::string& text)
{
    QString line = fromUtf8(text).left(kCellChars + 1);
    line.replace(QLatin1Char('\n'), QStringLiteral(" ⏎ "));
    if (line.size() > kCellChars) line = line.left(kCellChars) + QStringLiteral("…");
    return line;
}

QString number(double value)
{
    return QString::number(value, 'f', 3);
}

// Rich text, so that Qt wraps it: the full text, then the KL of each response token.
QString tooltip(const std::string& text, const std::vector<double>* tokenKl)
{
    QString html = QStringLiteral("<p style='white-space:pre-wrap'>%1</p>")
                       .arg(fromUtf8(text).left(kTooltipChars).toHtmlEscaped());
    if (!tokenKl) return html;
    QStringList lines;
    QStringList line;
    const std::size_t shown = std::min<std::size_t>(tokenKl->size(), kTokenKlShown);
    for (std::size_t i = 0; i < shown; ++i) {
        line.append(QString::number((*tokenKl)[i], 'f', 3));
        if (line.size() == kTokenKlPerLine || i + 1 == shown) {
            lines.append(line.join(QStringLiteral("  ")));
            line.clear();
        }
    }
    if (tokenKl->size() > shown) lines.append(QStringLiteral("…"));
    html += QStringLiteral("<p><b>KL per token</b> (%1 tokens)<br><tt>%2</tt></p>")
                .arg(tokenKl->size())
                .arg(lines.join(QStringLiteral("<br>")));
    return html;
}

} // namespace

RolloutModel::RolloutModel(QObject* parent) : QAbstractTableModel(parent) {}

void RolloutModel::setRollouts(std::vector<store::Rollout> rollouts)
{
    beginResetModel();
    m_rollouts = std::move(rollouts);
    endResetModel();
}

int RolloutModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rollouts.size());
}

int RolloutModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RolloutModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rollouts.size())) return {};
    const store::Rollout& rollout = m_rollouts[std::size_t(index.row())];
    const int column = index.column();
    if (role == Qt::TextAlignmentRole)
        return column == Prompt || column == Response ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                                      : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (column) {
        case Prompt:
            return tooltip(rollout.prompt, nullptr);
        case Response:
        case Kl:
            return tooltip(rollout.response, &rollout.tokenKl);
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (column) {
    case Index:
        return qint64(rollout.index);
    case Prompt:
        return cellText(rollout.prompt);
    case Response:
        return cellText(rollout.response);
    case Score:
        return number(rollout.score);
    case Reward:
        return number(rollout.reward);
    case Kl:
        return number(rollout.kl);
    case TrueScore:
        return rollout.trueScore ? number(*rollout.trueScore) : QString();
    default:
        return {};
    }
}

QVariant RolloutModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"#", "Prompt", "Response", "Score", "Reward", "KL", "True score"};
    return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

} // namespace rlhf::widgets
