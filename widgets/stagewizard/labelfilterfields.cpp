// Label filter fields, counted live against the project database.
#include "widgets/stagewizard/labelfilterfields.h"

#include "core/store/database.h"
#include "core/store/project.h"

#include <QCheckBox>
#include <QDateEdit>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>

#include <cmath>

namespace rlhf::widgets {

LabelFilterFields::LabelFilterFields(const QString& projectPath, QWidget* parent)
    : QWidget(parent), m_projectPath(projectPath)
{
    m_annotators = new QLineEdit;
    m_annotators->setObjectName(QStringLiteral("labelAnnotators"));
    m_annotators->setPlaceholderText(tr("everyone (or: alice, bob)"));
    m_useSince = new QCheckBox(tr("only labels since"));
    m_useSince->setObjectName(QStringLiteral("labelUseSince"));
    m_since = new QDateEdit(QDate::currentDate().addMonths(-1));
    m_since->setObjectName(QStringLiteral("labelSince"));
    m_since->setCalendarPopup(true);
    m_since->setEnabled(false);
    m_agreement = new QDoubleSpinBox;
    m_agreement->setObjectName(QStringLiteral("labelMinAgreement"));
    m_agreement->setRange(0, 1);
    m_agreement->setSingleStep(0.05);
    m_agreement->setToolTip(tr("Share of an item's labels that must agree with its majority "
                               "judgment; 1 keeps only unanimous items."));
    m_minLabels = new QSpinBox;
    m_minLabels->setObjectName(QStringLiteral("labelMinLabels"));
    m_minLabels->setRange(1, 100);
    m_minLabels->setToolTip(tr("Items judged by fewer annotators are left out."));
    m_valFraction = new QDoubleSpinBox;
    m_valFraction->setObjectName(QStringLiteral("labelValFraction"));
    m_valFraction->setRange(0, 0.5);
    m_valFraction->setSingleStep(0.05);
    m_valFraction->setValue(0.1);
    m_valFraction->setToolTip(tr("Share of the pairs held out for validation (by item), 0: "
                                 "no validation."));
    m_count = new QLabel;
    m_count->setObjectName(QStringLiteral("labelPairCount"));

    auto* since = new QHBoxLayout;
    since->addWidget(m_useSince);
    since->addWidget(m_since, 1);
    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Annotators"), m_annotators);
    form->addRow(tr("Date"), since);
    form->addRow(tr("Min agreement"), m_agreement);
    form->addRow(tr("Min labels per item"), m_minLabels);
    form->addRow(tr("Validation share"), m_valFraction);
    form->addRow(m_count);

    auto update = [this] {
        recount();
        Q_EMIT changed();
    };
    connect(m_annotators, &QLineEdit::textChanged, this, update);
    connect(m_useSince, &QCheckBox::toggled, m_since, &QWidget::setEnabled);
    connect(m_useSince, &QCheckBox::toggled, this, update);
    connect(m_since, &QDateEdit::dateChanged, this, update);
    connect(m_agreement, &QDoubleSpinBox::valueChanged, this, update);
    connect(m_minLabels, &QSpinBox::valueChanged, this, update);
    connect(m_valFraction, &QDoubleSpinBox::valueChanged, this, update);
    recount();
}

eval::LabelFilter LabelFilterFields::filter() const
{
    eval::LabelFilter filter;
    for (const auto& name : m_annotators->text().split(',', Qt::SkipEmptyParts)) {
        if (!name.trimmed().isEmpty()) filter.annotators.push_back(name.trimmed().toStdString());
    }
    if (m_useSince->isChecked())
        filter.since = double(m_since->date().startOfDay(Qt::UTC).toSecsSinceEpoch());
    filter.minAgreement = m_agreement->value();
    filter.minLabels = m_minLabels->value();
    return filter;
}

double LabelFilterFields::valFraction() const
{
    return m_valFraction->value();
}

void LabelFilterFields::recount()
{
    try {
        const store::Database database(store::ProjectPaths(m_projectPath.toStdString()).database(),
                                       store::OpenMode::ExistingOnly);
        m_passing = qint64(eval::labelledPairs(database, filter()).size());
        const auto val = qint64(std::llround(double(m_passing) * valFraction()));
        m_count->setText(tr("%1 labelled pairs pass (about %2 held out)").arg(m_passing).arg(val));
    } catch (const std::exception& error) {
        m_passing = -1;
        m_count->setText(tr("Cannot read the labels: %1").arg(error.what()));
    }
}

} // namespace rlhf::widgets
