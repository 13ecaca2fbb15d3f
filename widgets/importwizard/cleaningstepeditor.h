// The parameter panel of one cleaning step, as the import wizard's cleaning page shows it beside
// the step list: what the step does, and its settings (length bounds and the tokenizer for token
// bounds, languages, PII types, blocklist words, near-duplicate threshold...).
#pragma once

#include "core/data/cleaning/cleaning.h"

#include <QStringList>
#include <QWidget>

#include <map>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QStackedWidget;

namespace rlhf::widgets {

class CleaningStepEditor : public QWidget {
    Q_OBJECT

public:
    explicit CleaningStepEditor(QWidget* parent = nullptr);

    // Shows `config`'s panel filled with its values (emits nothing).
    void setConfig(const data::StepConfig& config);
    // The project's tokenizers, offered for token-length bounds.
    void setTokenizers(const QStringList& names);
    QString tokenizer() const; // "" = none

    // A step's name in the list ("Near-duplicate removal") and what it does (its tooltip).
    static QString title(data::StepKind kind);
    static QString title(const std::string& stepName); // as reported; unknown names as they are
    static QString describe(data::StepKind kind);

Q_SIGNALS:
    void edited(const rlhf::data::StepConfig& config); // after any change to a setting
    void tokenizerChanged();

private:
    QWidget* panel(data::StepKind kind, QWidget* settings); // description above settings
    QWidget* lengthSettings();
    QWidget* languageSettings();
    QWidget* piiSettings();
    QWidget* nearDedupSettings();
    data::StepConfig read() const; // the shown panel's values over m_config
    void emitEdited();

    data::StepConfig m_config;         // the step being edited
    QStackedWidget* m_stack = nullptr; // owned by the editor, like the widgets below
    std::map<data::StepKind, int> m_pages;
    QComboBox* m_utf8Mode = nullptr;
    QSpinBox *m_minChars = nullptr, *m_maxChars = nullptr;
    QSpinBox *m_minTokens = nullptr, *m_maxTokens = nullptr;
    QComboBox* m_tokenizer = nullptr;
    QLineEdit* m_languages = nullptr;
    QDoubleSpinBox* m_confidence = nullptr;
    QCheckBox* m_keepUnknown = nullptr;
    std::map<std::string, QCheckBox*> m_piiTypes;
    QPlainTextEdit* m_blocklist = nullptr;
    QDoubleSpinBox* m_threshold = nullptr;
    QSpinBox *m_shingleWords = nullptr, *m_permutations = nullptr;
};

} // namespace rlhf::widgets
