// Fifth page of the ImportWizard: the share of documents held out for validation and test and
// the seed of the deterministic, hash-based split. Its Next button starts the import.
#pragma once

#include "core/data/cleaning/cleaning.h"

#include <QWizardPage>

class QDoubleSpinBox;
class QLabel;
class QSpinBox;

namespace rlhf::widgets {

class ImportSplitPage : public QWizardPage {
    Q_OBJECT

public:
    explicit ImportSplitPage(QWidget* parent = nullptr);

    data::SplitConfig split() const;
    bool isComplete() const override;

private:
    void refresh();

    QDoubleSpinBox* m_val = nullptr; // owned by the page, like the widgets below
    QDoubleSpinBox* m_test = nullptr;
    QSpinBox* m_seed = nullptr;
    QLabel* m_summary = nullptr;
};

} // namespace rlhf::widgets
