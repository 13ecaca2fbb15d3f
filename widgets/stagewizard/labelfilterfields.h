// The stage wizard's fields for "labels of this project" as a reward or DPO stage's data: which
// labels count (annotators, a date range, minimum agreement and label count) and the share held
// out for validation, with a live count of the pairs that pass.
#pragma once

#include "core/eval/label_pairs.h"

#include <QString>
#include <QWidget>

class QCheckBox;
class QDateEdit;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace rlhf::widgets {

class LabelFilterFields : public QWidget {
    Q_OBJECT
public:
    explicit LabelFilterFields(const QString& projectPath, QWidget* parent = nullptr);

    eval::LabelFilter filter() const;
    double valFraction() const;
    // Pairs passing the filter now (counted in the project database); -1 when unreadable.
    qint64 passingPairs() const { return m_passing; }

    void recount(); // re-reads the labels and updates the count line

Q_SIGNALS:
    void changed();

private:
    QString m_projectPath;
    QLineEdit* m_annotators = nullptr;
    QCheckBox* m_useSince = nullptr;
    QDateEdit* m_since = nullptr;
    QDoubleSpinBox* m_agreement = nullptr;
    QSpinBox* m_minLabels = nullptr;
    QDoubleSpinBox* m_valFraction = nullptr;
    QLabel* m_count = nullptr;
    qint64 m_passing = -1;
};

} // namespace rlhf::widgets
