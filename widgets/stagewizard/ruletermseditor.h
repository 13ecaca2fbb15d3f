// A small table editing the rule-reward terms of a PPO / GRPO document (rule_reward.h): one row
// per term with its rule (exact_answer, regex, length, keywords), weight, and the rule's own
// setting (regex pattern, target length, or comma-separated keywords), plus Add / Remove.
#pragma once

#include <QWidget>

#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace rlhf::train {
struct RuleRewardTerm;
}

namespace rlhf::widgets {

class RuleTermsEditor : public QWidget {
    Q_OBJECT

public:
    explicit RuleTermsEditor(QWidget* parent = nullptr);

    // Appends a row; `setting` is the pattern, the target length or the keywords "a, b".
    void addTerm(const QString& rule, double weight, const QString& setting = {});
    int count() const;
    // The terms as entered; rows whose setting does not parse are left out (see problem()).
    std::vector<train::RuleRewardTerm> terms() const;
    // Why the terms would be refused (naming the row), as the core's parser would; empty if fine.
    QString problem() const;

Q_SIGNALS:
    void changed();

private:
    struct Row {
        QComboBox* rule = nullptr; // owned by the table
        QDoubleSpinBox* weight = nullptr;
        QLineEdit* setting = nullptr;
    };
    void updateSetting(const Row& row); // placeholder and tooltip follow the rule
    QString rowProblem(int index) const;

    QTableWidget* m_table = nullptr; // owned by the editor
    QPushButton* m_remove = nullptr;
    std::vector<Row> m_rows;
};

} // namespace rlhf::widgets
