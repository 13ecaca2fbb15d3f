// Third page of the ImportWizard: which field of the files feeds each canonical field of the
// record shape (one combo per field, filled with the fields detected in the first rows). A
// mapping that names a missing field, or one field twice, is explained and blocks Next. Skipped
// for formats without named fields (plain text and the corpus formats).
#pragma once

#include "core/data/readers/reader.h"

#include <QWizardPage>

#include <string>
#include <vector>

class QComboBox;
class QFormLayout;
class QLabel;

namespace rlhf::widgets {

class ImportFormatPage;

class ImportMappingPage : public QWizardPage {
    Q_OBJECT

public:
    ImportMappingPage(const ImportFormatPage* format, QWidget* parent = nullptr);

    // Canonical -> file field, only where they differ (so files that use the canonical names
    // still read with it).
    data::FieldMapping mapping() const;
    // Empty when the mapping is usable, else why not.
    QString problem() const;
    // Whether the detected format has named fields to map.
    static bool formatHasFields(data::FileFormat format);
    // The canonical fields a shape reads, in the order shown.
    static std::vector<std::string> canonicalFields(data::RecordShape shape);

    void initializePage() override;
    bool isComplete() const override;

private:
    struct Row {
        std::string canonical;
        bool optional = false;
        QComboBox* combo = nullptr; // owned by the page, like the label
        QLabel* sample = nullptr;   // the chosen field's value in the first row
    };

    void rebuild();
    void refresh();
    QString sampleValue(const QString& field) const; // in the first previewed row

    const ImportFormatPage* m_format;  // the wizard's format page
    std::vector<std::string> m_fields; // detected in the files
    data::RecordShape m_shape = data::RecordShape::Text;
    std::vector<Row> m_rows;
    QFormLayout* m_form = nullptr; // owned by the page, like the widgets below
    QLabel* m_shapeLabel = nullptr;
    QLabel* m_message = nullptr;
};

} // namespace rlhf::widgets
