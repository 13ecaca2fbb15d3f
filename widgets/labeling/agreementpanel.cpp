// The agreement table: one row per annotator pair, Fleiss' kappa above it.
#include "widgets/labeling/agreementpanel.h"

#include "core/eval/agreement.h"
#include "core/store/database.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rlhf::widgets {

namespace {

QString kappaText(const std::optional<double>& kappa)
{
    return kappa ? QString::number(*kappa, 'f', 3) : QStringLiteral("n/a");
}

} // namespace

AgreementPanel::AgreementPanel(QWidget* parent) : QWidget(parent)
{
    m_table = new QTableWidget(0, 3);
    m_table->setHorizontalHeaderLabels({"Annotators", "Items", "Cohen's κ"});
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setFocusPolicy(Qt::NoFocus);
    m_summary = new QLabel;
    m_summary->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_summary);
    layout->addWidget(m_table);
}

void AgreementPanel::refresh(const store::Database& database)
{
    const auto labels = database.labels();
    const auto report = eval::agreementOf(labels);
    m_table->setRowCount(int(report.pairs.size()));
    for (int row = 0; row < int(report.pairs.size()); ++row) {
        const auto& pair = report.pairs[size_t(row)];
        const QStringList cells{QString::fromStdString(pair.first) + " · " +
                                    QString::fromStdString(pair.second),
                                QString::number(pair.items), kappaText(pair.kappa)};
        for (int column = 0; column < cells.size(); ++column)
            m_table->setItem(row, column, new QTableWidgetItem(cells[column]));
    }
    m_summary->setText(
        QString("Fleiss' κ %1 over %2 items labelled by two or more annotators (%3 labels)")
            .arg(kappaText(report.fleiss))
            .arg(report.sharedItems)
            .arg(labels.size()));
}

QString AgreementPanel::summaryText() const
{
    return m_summary->text();
}

} // namespace rlhf::widgets
