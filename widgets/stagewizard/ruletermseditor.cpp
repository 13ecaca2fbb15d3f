#include "widgets/stagewizard/ruletermseditor.h"

#include "core/train/rule_reward.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <exception>

namespace rlhf::widgets {

namespace {

enum Column { RuleColumn, WeightColumn, SettingColumn };

struct RuleInfo {
    const char* id;
    const char* placeholder;
    const char* toolTip;
};

constexpr RuleInfo rules[] = {
    {"exact_answer", "(no setting)",
     "1 when the trimmed reply equals the prompt's reference answer (the chat data's last "
     "assistant turn, or the preference pair's chosen reply), else 0."},
    {"regex", "pattern, e.g. ^\\d+$",
     "1 when the reply matches the RE2 pattern anywhere, else 0. Anchor with ^ and $ to match "
     "the whole reply."},
    {"length", "target length, e.g. 40",
     "1 - |length - target| / target, floored at 0: rewards replies of about the target length "
     "(in characters)."},
    {"keywords", "keywords, e.g. because, therefore",
     "The share of the comma-separated keywords that occur in the reply (case-sensitive)."},
};

QStringList keywordList(const QString& text)
{
    QStringList words;
    for (const QString& word : text.split(QLatin1Char(',')))
        if (!word.trimmed().isEmpty()) words << word.trimmed();
    return words;
}

} // namespace

RuleTermsEditor::RuleTermsEditor(QWidget* parent) : QWidget(parent)
{
    m_table = new QTableWidget(0, 3, this);
    m_table->setObjectName(QStringLiteral("ruleTable"));
    m_table->setHorizontalHeaderLabels({tr("Rule"), tr("Weight"), tr("Setting")});
    m_table->horizontalHeader()->setSectionResizeMode(RuleColumn, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(WeightColumn, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(SettingColumn, QHeaderView::Stretch);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setMinimumHeight(110);
    m_table->setToolTip(tr("Rule rewards: each rule scores a reply in [0, 1] from its text "
                           "alone; the rule reward is the weighted sum of the rows (weights may "
                           "be negative)."));
    auto* add = new QPushButton(tr("Add rule"), this);
    add->setObjectName(QStringLiteral("addRule"));
    add->setToolTip(tr("Adds an exact_answer row; change its rule in the first column."));
    m_remove = new QPushButton(tr("Remove rule"), this);
    m_remove->setObjectName(QStringLiteral("removeRule"));
    m_remove->setToolTip(tr("Removes the selected row (the last one when none is selected)."));
    m_remove->setEnabled(false);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(add);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_table, /*stretch=*/1);
    layout->addLayout(buttons);

    connect(add, &QPushButton::clicked, this,
            [this] { addTerm(QStringLiteral("exact_answer"), 1.0); });
    connect(m_remove, &QPushButton::clicked, this, [this] {
        if (m_rows.empty()) return;
        int row = m_table->currentRow();
        if (row < 0 || row >= int(m_rows.size())) row = int(m_rows.size()) - 1;
        m_table->removeRow(row);
        m_rows.erase(m_rows.begin() + row);
        m_remove->setEnabled(!m_rows.empty());
        Q_EMIT changed();
    });
}

void RuleTermsEditor::addTerm(const QString& rule, double weight, const QString& setting)
{
    const int index = m_table->rowCount();
    m_table->insertRow(index);
    Row row;
    row.rule = new QComboBox(m_table);
    for (const auto& info : rules) {
        row.rule->addItem(QLatin1String(info.id), QLatin1String(info.id));
        row.rule->setItemData(row.rule->count() - 1, tr(info.toolTip), Qt::ToolTipRole);
    }
    row.rule->setCurrentIndex(std::max(0, row.rule->findData(rule)));
    row.weight = new QDoubleSpinBox(m_table);
    row.weight->setRange(-1000, 1000);
    row.weight->setDecimals(3);
    row.weight->setSingleStep(0.1);
    row.weight->setValue(weight);
    row.weight->setToolTip(tr("Multiplies the rule's [0, 1] score; negative to penalise."));
    row.setting = new QLineEdit(setting, m_table);
    row.rule->setObjectName(QStringLiteral("ruleType%1").arg(index));
    row.weight->setObjectName(QStringLiteral("ruleWeight%1").arg(index));
    row.setting->setObjectName(QStringLiteral("ruleSetting%1").arg(index));
    m_table->setCellWidget(index, RuleColumn, row.rule);
    m_table->setCellWidget(index, WeightColumn, row.weight);
    m_table->setCellWidget(index, SettingColumn, row.setting);
    m_rows.push_back(row);
    updateSetting(row);
    connect(row.rule, &QComboBox::currentIndexChanged, this, [this, row] {
        updateSetting(row);
        Q_EMIT changed();
    });
    connect(row.weight, &QDoubleSpinBox::valueChanged, this, &RuleTermsEditor::changed);
    connect(row.setting, &QLineEdit::textChanged, this, &RuleTermsEditor::changed);
    m_remove->setEnabled(true);
    Q_EMIT changed();
}

void RuleTermsEditor::updateSetting(const Row& row)
{
    const auto& info = rules[std::max(0, row.rule->currentIndex())];
    const bool exact = row.rule->currentData().toString() == QLatin1String("exact_answer");
    row.setting->setEnabled(!exact);
    row.setting->setPlaceholderText(tr(info.placeholder));
    row.setting->setToolTip(tr(info.toolTip));
    row.rule->setToolTip(tr(info.toolTip));
}

int RuleTermsEditor::count() const
{
    return int(m_rows.size());
}

QString RuleTermsEditor::rowProblem(int index) const
{
    const Row& row = m_rows[size_t(index)];
    const QString rule = row.rule->currentData().toString();
    const QString setting = row.setting->text().trimmed();
    if (rule == QLatin1String("regex") && setting.isEmpty())
        return tr("Rule %1 (regex) needs a pattern.").arg(index + 1);
    if (rule == QLatin1String("length") && setting.toLongLong() <= 0)
        return tr("Rule %1 (length) needs a positive whole target length, got \"%2\".")
            .arg(index + 1)
            .arg(setting);
    if (rule == QLatin1String("keywords") && keywordList(setting).isEmpty())
        return tr("Rule %1 (keywords) needs at least one keyword (comma separated).")
            .arg(index + 1);
    return {};
}

std::vector<train::RuleRewardTerm> RuleTermsEditor::terms() const
{
    std::vector<train::RuleRewardTerm> terms;
    for (int index = 0; index < count(); ++index) {
        if (!rowProblem(index).isEmpty()) continue;
        const Row& row = m_rows[size_t(index)];
        train::RuleRewardTerm term;
        term.rule = row.rule->currentData().toString().toStdString();
        term.weight = row.weight->value();
        const QString setting = row.setting->text().trimmed();
        if (term.rule == "regex") term.pattern = setting.toStdString();
        if (term.rule == "length") term.targetLength = setting.toLongLong();
        if (term.rule == "keywords")
            for (const QString& word : keywordList(setting))
                term.keywords.push_back(word.toStdString());
        terms.push_back(std::move(term));
    }
    return terms;
}

QString RuleTermsEditor::problem() const
{
    for (int index = 0; index < count(); ++index)
        if (const QString text = rowProblem(index); !text.isEmpty()) return text;
    try {
        train::RuleReward compiled(terms(), "rule"); // a bad regex is refused here, as in the core
    } catch (const std::exception& error) {
        return tr("Rules: %1").arg(QString::fromUtf8(error.what()));
    }
    return {};
}

} // namespace rlhf::widgets
