// Run > Compare Configs of Two Runs: the two stage documents flattened to dotted keys
// ("optimizer.lr") side by side in a resizable table, the keys whose values differ (or that one
// document lacks) highlighted, the identical ones shown on request, and the shown rows copied as
// text. It only displays; it reads nothing from the project itself.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <QDialog>
#include <QString>

#include <vector>

class QCheckBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace rlhf::widgets {

class ConfigDiffDialog : public QDialog {
    Q_OBJECT

public:
    // One flattened key of the two documents; a value is its JSON text, e.g. 0.001 or "adamw".
    struct Row {
        QString key; // dotted path, e.g. "training.batch_size"
        QString a;   // absentText() when document A lacks the key
        QString b;
        bool changed = false;
    };
    static QString absentText(); // "(absent)"

    // `titleA` / `titleB` head the value columns, e.g. "run #3 sft-1".
    ConfigDiffDialog(const QString& titleA, const nlohmann::json& a, const QString& titleB,
                     const nlohmann::json& b, QWidget* parent = nullptr);

    // Every key of either document, sorted; objects are flattened, arrays are one value.
    static std::vector<Row> diffRows(const nlohmann::json& a, const nlohmann::json& b);

    // The shown rows as lines, "key: A → B" for a changed key and "key: value" for an identical
    // one, under a line naming the two runs.
    QString text() const;

    QTableWidget* table() const { return m_table; }
    QCheckBox* showIdenticalBox() const { return m_showIdentical; }
    QPushButton* copyButton() const { return m_copy; }
    QLabel* summaryLabel() const { return m_summary; }

private:
    void showRows(); // hides the identical rows unless they are asked for

    QString m_titleA, m_titleB;
    std::vector<Row> m_rows;
    QTableWidget* m_table = nullptr; // owned by the dialog, like every widget below
    QCheckBox* m_showIdentical = nullptr;
    QPushButton* m_copy = nullptr;
    QLabel* m_summary = nullptr;
};

} // namespace rlhf::widgets
