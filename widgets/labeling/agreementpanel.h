// How much the annotators of this project agree: Cohen's kappa for each pair of annotators over
// the items both labelled, and Fleiss' kappa over every item labelled by two or more people.
#pragma once

#include <QWidget>

class QLabel;
class QTableWidget;

namespace rlhf::store {
class Database;
}

namespace rlhf::widgets {

class AgreementPanel : public QWidget {
    Q_OBJECT
public:
    explicit AgreementPanel(QWidget* parent = nullptr);

    // Recomputes the table from the stored labels.
    void refresh(const store::Database& database);

    QTableWidget* table() const { return m_table; }
    QString summaryText() const;

private:
    QTableWidget* m_table = nullptr; // owned by this widget
    QLabel* m_summary = nullptr;     // owned by this widget
};

} // namespace rlhf::widgets
