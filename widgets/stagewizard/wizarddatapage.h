// Data page of the StageWizard: a dataset and a tokenizer from the project database, the train
// and validation token files they produced (with token counts), and a TokenizerPanel that trains
// a tokenizer and writes those files when they are missing.
#pragma once

#include <QWizardPage>

#include <cstdint>
#include <vector>

class QComboBox;
class QLabel;

namespace rlhf::widgets {

class TokenizerPanel;

class WizardDataPage : public QWizardPage {
    Q_OBJECT

public:
    explicit WizardDataPage(const QString& projectPath, QWidget* parent = nullptr);

    bool isComplete() const override;
    bool validatePage() override;

    // Project-relative paths for the stage document; empty while nothing valid is chosen.
    QString trainTokens() const;
    QString valTokens() const;
    QString tokenizerPath() const;
    int64_t vocabSize() const; // of the chosen tokenizer; 0 when none

private:
    struct TokenizerEntry {
        QString name;
        QString path; // project-relative tokenizer.json
        int64_t vocabSize = 0;
    };

    QString tokenFile(bool train) const; // project-relative
    QString problem() const;             // empty when both split files exist
    void refresh();
    // Re-reads the project's tokenizers and selects `select` (by name) when it is among them.
    void loadTokenizers(const QString& select);

    QString m_projectPath;
    QString m_loadError; // why the project database could not be read
    std::vector<TokenizerEntry> m_tokenizers;
    QComboBox* m_dataset = nullptr; // owned by the page
    QComboBox* m_tokenizer = nullptr;
    QLabel* m_trainLabel = nullptr;
    QLabel* m_valLabel = nullptr;
    QLabel* m_message = nullptr;
    TokenizerPanel* m_tokenizerPanel = nullptr;
};

} // namespace rlhf::widgets
