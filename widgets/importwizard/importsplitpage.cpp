#include "widgets/importwizard/importsplitpage.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>

#include <limits>

namespace rlhf::widgets {

namespace {

QDoubleSpinBox* percentBox(QWidget* parent, const char* name, double value)
{
    auto* box = new QDoubleSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(0.0, 50.0);
    box->setDecimals(1);
    box->setSingleStep(0.5);
    box->setSuffix(QStringLiteral(" %"));
    box->setValue(value);
    return box;
}

} // namespace

ImportSplitPage::ImportSplitPage(QWidget* parent) : QWizardPage(parent)
{
    setTitle(tr("Split"));
    setSubTitle(tr("Documents are assigned by a hash of their normalised text: the same document "
                   "lands in the same split in every import, and exact duplicates never straddle "
                   "splits. Next starts the import."));
    setCommitPage(true);
    setButtonText(QWizard::CommitButton, tr("Import"));

    const data::SplitConfig defaults;
    m_val = percentBox(this, "valPercent", defaults.valFraction * 100.0);
    m_test = percentBox(this, "testPercent", defaults.testFraction * 100.0);
    m_seed = new QSpinBox(this);
    m_seed->setObjectName(QStringLiteral("splitSeed"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setValue(int(defaults.seed));
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("splitSummary"));

    auto* form = new QFormLayout(this);
    form->addRow(tr("Validation"), m_val);
    form->addRow(tr("Test"), m_test);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(m_summary);

    for (QDoubleSpinBox* box : {m_val, m_test})
        connect(box, &QDoubleSpinBox::valueChanged, this, &ImportSplitPage::refresh);
    refresh();
}

data::SplitConfig ImportSplitPage::split() const
{
    data::SplitConfig config;
    config.valFraction = m_val->value() / 100.0;
    config.testFraction = m_test->value() / 100.0;
    config.seed = uint64_t(m_seed->value());
    return config;
}

void ImportSplitPage::refresh()
{
    const double train = 100.0 - m_val->value() - m_test->value();
    m_summary->setText(tr("Train gets about %1 % of the documents.").arg(train, 0, 'f', 1));
    Q_EMIT completeChanged();
}

bool ImportSplitPage::isComplete() const
{
    return m_val->value() + m_test->value() < 100.0;
}

} // namespace rlhf::widgets
